using ClusterRegistry.Application.Abstractions;
using Microsoft.Extensions.Hosting;

namespace ClusterRegistry.Infrastructure.Storage;

/// <summary>
/// Counts the stored objects at start and then once a minute, as kube-apiserver's storage object counter polls
/// (<c>--etcd-count-metric-poll-period</c>), so a scrape never lists the store. The count is a one-item page whose
/// remaining count the backend computes in the store (a COUNT or etcd's count), not a read of every object.
/// </summary>
public sealed class StorageObjectCounter(IObjectStorage storage, StorageMetrics metrics, string prefix, TimeSpan? period = null) : BackgroundService
{
    private readonly TimeSpan _period = period ?? TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_period);
        do
        {
            try
            {
                var page = await storage.ListAsync(prefix, new ListRange(Limit: 1), stoppingToken);
                metrics.SetObjects(page.Items.Count + (page.HasMore ? page.RemainingCount ?? 0 : 0));
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Whatever the backend throws (gRPC, Npgsql, SQLite), the store is down or busy: keep the last count
                // (/readyz reports the store). An escaping exception would stop the host.
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
