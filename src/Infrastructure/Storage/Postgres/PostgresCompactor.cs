using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Infrastructure.Storage.Postgres;

/// <summary>
/// Prunes the event table on a schedule: each interval, up to the revision current one interval ago; <c>compacted</c>
/// hears each compaction point (the watch cache forgets its history below it too).
/// </summary>
public sealed class PostgresCompactor(PostgresStorage storage, TimeSpan interval, ILogger<PostgresCompactor> logger, Action<long>? compacted = null) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long previous = 0;
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (previous > 0)
                {
                    await storage.CompactAsync(previous, stoppingToken);
                    compacted?.Invoke(previous);
                }
                previous = await storage.CurrentRevisionAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("PostgreSQL compaction skipped, retrying next interval: {Cause}", Observability.ErrorText.Cause(e));
            }
        }
    }
}
