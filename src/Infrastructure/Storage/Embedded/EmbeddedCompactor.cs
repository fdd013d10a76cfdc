using ClusterRegistry.Application.Abstractions;
using Microsoft.Extensions.Hosting;

namespace ClusterRegistry.Infrastructure.Storage.Embedded;

/// <summary>
/// Periodic history compaction, as kube-apiserver runs against etcd: each interval, compact to the revision that was
/// current one interval ago, so watches and paged lists younger than one interval keep working. <c>compacted</c>
/// hears each compaction point (the watch cache forgets its history below it too).
/// </summary>
public sealed class EmbeddedCompactor(EmbeddedStorage storage, TimeSpan interval, Action<long>? compacted = null) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long previous = await storage.CurrentRevisionAsync(stoppingToken);
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await storage.CompactAsync(previous, stoppingToken);
                compacted?.Invoke(previous);
            }
            catch (StorageException)
            {
                // The store has logged the cause and readyz reports it; an exception escaping here would stop the host,
                // and compaction simply runs again at the next tick.
            }
            previous = await storage.CurrentRevisionAsync(stoppingToken);
        }
    }
}
