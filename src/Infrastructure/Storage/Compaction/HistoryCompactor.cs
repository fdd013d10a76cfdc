using ClusterRegistry.Infrastructure.Observability;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Infrastructure.Storage.Compaction;

/// <summary>
/// Periodic history compaction for every backend, as kube-apiserver runs it against etcd: each interval, compact to
/// the revision that was current one interval ago, so watches and paged lists younger than one interval keep working.
/// <c>compacted</c> hears each point this replica compacted at (the watch cache forgets its history below it too).
/// One error policy: a failed round is logged, once per cause until a round succeeds, and tried again next interval
/// with the same point; nothing a round throws stops the host.
/// </summary>
public sealed partial class HistoryCompactor(IHistoryCompaction compaction, TimeSpan interval, ILogger<HistoryCompactor> logger,
    Action<long>? compacted = null) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (interval <= TimeSpan.Zero) return;
        long revision = 0;
        string? failing = null;
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var round = await compaction.RunRoundAsync(revision, stoppingToken);
                // The revision the store reports, not the one asked for: the watch cache must forget exactly what the
                // store forgot, or a watch from the revision between the two gets a 410 the store would not give.
                if (round.CompactedAt is { } at)
                {
                    LogCompacted(logger, compaction.Name, at);
                    compacted?.Invoke(at);
                }
                revision = round.CurrentRevision;
                failing = null;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The cause on one line, once: a stopped store fails every round the same expected way, and a stack
                // trace per round would bury it.
                var cause = ErrorText.Cause(e);
                if (cause != failing) LogFailed(logger, compaction.Name, cause);
                failing = cause;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Backend} compacted at revision {Revision}")]
    private static partial void LogCompacted(ILogger logger, string backend, long revision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Backend} compaction failed, retrying next interval: {Cause}")]
    private static partial void LogFailed(ILogger logger, string backend, string cause);
}
