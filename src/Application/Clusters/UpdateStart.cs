using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Application.Clusters;

/// <summary>
/// Where an update or delete starts (kube-apiserver's GuaranteedUpdate with the watch cache's object): from a recent
/// state of the object, which the watch cache answers from memory, instead of a consistent read, which asks the store
/// for its revision first. The start may be stale; the compare-and-swap then fails and the caller re-reads
/// consistently. Whatever is answered from a stale start — a refusal, a precondition failure, "nothing to change" —
/// must be judged again against the latest object (<see cref="LatestAsync"/>) before it is returned.
/// </summary>
internal static class UpdateStart
{
    /// <summary>
    /// The object as the watch cache holds it once the cache has every write this process acknowledged
    /// (<paramref name="horizon"/>); a store without a cache reads the latest. Null when that state does not hold the key
    /// (it may be newer than the cache): the caller reads <see cref="LatestAsync"/> before answering 404.
    /// </summary>
    public static ValueTask<StoredObject?> RecentAsync(IObjectStorage storage, string key, WriteHorizon horizon, CancellationToken ct) =>
        storage.GetAsync(key, horizon.Revision, ct);

    /// <summary>The latest state of the key (a consistent read); null when it does not exist.</summary>
    public static ValueTask<StoredObject?> LatestAsync(IObjectStorage storage, string key, CancellationToken ct) => storage.GetAsync(key, ct);
}
