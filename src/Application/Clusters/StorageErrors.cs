using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Clusters;

/// <summary>Turns storage failures into the API errors kube-apiserver's registry returns (InterpretCreateError and friends).</summary>
public static class StorageErrors
{
    private static GroupResource R => ClusterResource.Info;

    public static ApiStatusException Interpret(StorageException e, string name, string verb) => e.Code switch
    {
        StorageErrorCode.KeyNotFound => ApiErrors.NotFound(R, name),
        StorageErrorCode.KeyExists => ApiErrors.AlreadyExists(R, name),
        StorageErrorCode.Conflict => ApiErrors.Conflict(R, name),
        StorageErrorCode.Expired => ApiErrors.Expired(e.Message),
        StorageErrorCode.TooLargeRevision => ApiErrors.TooLargeResourceVersion(e.Message, e.CurrentRevision),
        StorageErrorCode.Timeout => ApiErrors.Timeout(
            $"The {verb} operation against {R.Qualified} could not be completed at this time, please try again.", 2, e),
        // The backend's own error text (addresses, driver internals) stays in the server (the cause goes to the log,
        // see IStorageFailureLog); clients learn what to do.
        _ => ApiErrors.ServiceUnavailable("the storage backend is unavailable, please try again", 2, e),
    };

    /// <summary>Runs a storage call and interprets its failures.</summary>
    public static async ValueTask<T> Guard<T>(Func<ValueTask<T>> call, string name, string verb)
    {
        try
        {
            return await call();
        }
        catch (StorageException e)
        {
            throw Interpret(e, name, verb);
        }
    }
}
