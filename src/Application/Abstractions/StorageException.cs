namespace ClusterRegistry.Application.Abstractions;

/// <summary>The closed set of storage failures the registry layer interprets (k8s.io/apiserver storage errors).</summary>
public enum StorageErrorCode
{
    KeyNotFound,
    KeyExists,
    Conflict,
    Expired,
    /// <summary>The requested revision is newer than the store has.</summary>
    TooLargeRevision,
    Unreachable,
    Timeout,
}

/// <summary>A storage failure with its code; <see cref="CurrentRevision"/> is set for Expired and TooLargeRevision.</summary>
public sealed class StorageException(StorageErrorCode code, string key, string message, long currentRevision = 0, Exception? inner = null)
    : Exception(message, inner)
{
    public StorageErrorCode Code { get; } = code;
    public string Key { get; } = key;
    public long CurrentRevision { get; } = currentRevision;
}
