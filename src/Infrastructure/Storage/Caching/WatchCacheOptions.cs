namespace ClusterRegistry.Infrastructure.Storage.Caching;

/// <summary>Sizes and bounds of the watch cache (<see cref="CachedStorage"/>).</summary>
public sealed class WatchCacheOptions
{
    /// <summary>
    /// How many recent events the cache keeps (with the list state after each): watches may start that far back,
    /// paged and exact-revision lists within it are answered from memory. Older starts are 410 Expired, as in
    /// kube-apiserver's watch cache.
    /// </summary>
    public int WindowEvents { get; init; } = 10_000;

    /// <summary>How long a consistent read waits for the cache to reach the store's revision before reading the store itself.</summary>
    public TimeSpan ConsistentReadWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Live events that may wait for one watcher; a watcher further behind is ended and re-watches from its last revision.</summary>
    public int WatcherBuffer { get; init; } = 1024;

    /// <summary>
    /// Revision calls a consistent read may have under way at once (see CachedStorage.Revisions.cs). Each call serves
    /// every reader that arrived before it was sent, so one call at a time costs the store and the server least under
    /// load; more shorten a reader's wait for a call to be sent (half a round trip on average with one) at the price
    /// of more calls.
    /// </summary>
    public int RevisionCallsInFlight { get; init; } = 1;

    /// <summary>How long to wait before re-establishing a broken upstream watch.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);
}
