using Microsoft.Extensions.Hosting;

namespace ClusterRegistry.Infrastructure.Storage.Embedded;

/// <summary>
/// Periodic history compaction, as kube-apiserver runs against etcd: each interval, compact to the revision that was
/// current one interval ago, so watches and paged lists younger than one interval keep working.
/// </summary>
public sealed class EmbeddedCompactor(EmbeddedStorage storage, TimeSpan interval) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long previous = await storage.CurrentRevisionAsync(stoppingToken);
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await storage.CompactAsync(previous, stoppingToken);
            previous = await storage.CurrentRevisionAsync(stoppingToken);
        }
    }
}
