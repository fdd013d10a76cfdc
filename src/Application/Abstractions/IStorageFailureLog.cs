namespace ClusterRegistry.Application.Abstractions;

/// <summary>
/// Where storage failures that clients only see as a 503, a 504 or an ended watch are recorded for the operator: the
/// store could not be reached (<see cref="StorageErrorCode.Unreachable"/>) or did not answer in time
/// (<see cref="StorageErrorCode.Timeout"/>). Other codes are answers (not found, conflict, expired) and are not reported.
/// </summary>
public interface IStorageFailureLog
{
    /// <summary>
    /// Records that <paramref name="operation"/> (a request verb such as get, list, create or watch) failed because of
    /// <paramref name="failure"/>. Implementations write one line naming the backend and the cause, without credentials,
    /// and may fold repeats of the same cause together.
    /// </summary>
    void Failed(string operation, StorageException failure);
}
