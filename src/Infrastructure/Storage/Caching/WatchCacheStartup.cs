using Microsoft.Extensions.Hosting;

namespace ClusterRegistry.Infrastructure.Storage.Caching;

/// <summary>
/// Holds the host's start until the watch cache has its first list (bounded), so the first requests are served from
/// memory; a store that cannot be read yet does not stop the start (the cache keeps trying, reads go to the store).
/// </summary>
public sealed class WatchCacheStartup(CachedStorage cache) : IHostedService
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(MaxWait);
        await cache.WhenReadyAsync(bounded.Token);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
