namespace ClusterRegistry.Application.Abstractions;

/// <summary>
/// Named leases kept in the configured storage, so that replicas sharing one store agree on a single holder (the
/// health prober runs only where it holds its lease). A lease expires by the store's clock, never a replica's, so
/// clock skew between replicas cannot give two holders; a holder that dies loses the lease when it expires.
/// </summary>
public interface ILeaseStore
{
    /// <summary>
    /// Takes lease <paramref name="name"/> for <paramref name="holder"/> until <paramref name="duration"/> from now
    /// when it is free, expired, or already held by <paramref name="holder"/> (which renews it).
    /// </summary>
    /// <returns>True when <paramref name="holder"/> holds the lease afterwards; false when another holder does.</returns>
    /// <exception cref="StorageException">The store could not be reached; the caller must treat the lease as lost.</exception>
    ValueTask<bool> TryAcquireAsync(string name, string holder, TimeSpan duration, CancellationToken ct);

    /// <summary>Gives the lease up if <paramref name="holder"/> holds it, so another replica can take it at once.</summary>
    ValueTask ReleaseAsync(string name, string holder, CancellationToken ct);
}
