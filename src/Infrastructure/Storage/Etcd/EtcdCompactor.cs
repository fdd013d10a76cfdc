using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Infrastructure.Storage.Etcd;

/// <summary>
/// kube-apiserver's etcd compactor (k8s.io/apiserver/pkg/storage/etcd3/compact.go): each interval, compact to the
/// revision that was current one interval ago, so watches and paged lists younger than one interval keep working.
/// Replicas sharing an etcd coordinate through the version of <see cref="EtcdStorage.CompactRevisionKey"/>: only the
/// one whose view of that version is current compacts in a round; the others adopt the new version and wait.
/// <c>compacted</c> hears this replica's compaction points (its watch cache forgets its history below them too).
/// </summary>
public sealed partial class EtcdCompactor(EtcdStorage storage, TimeSpan interval, ILogger<EtcdCompactor>? logger = null, Action<long>? compacted = null)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (interval <= TimeSpan.Zero) return;
        long version = 0;
        long revision = 0; // the first round only records the current revision; it is compacted one interval later
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var compactAt = revision;
                var previousVersion = version;
                (version, revision) = await storage.CompactRoundAsync(version, revision, stoppingToken);
                if (compactAt > 0 && logger is not null) LogCompacted(logger, compactAt);
                // Only a round this replica won compacted at compactAt (another replica's round compacts elsewhere).
                if (compactAt > 0 && version == previousVersion + 1) compacted?.Invoke(compactAt);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Keep the previous state and try again next interval, as kube-apiserver does.
                if (logger is not null) LogFailed(logger, Observability.ErrorText.Cause(e));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "etcd compaction round at revision {Revision}")]
    private static partial void LogCompacted(ILogger logger, long revision);

    // The cause on one line: a stopped etcd fails every round the same expected way, and a stack trace per round
    // would bury it.
    [LoggerMessage(Level = LogLevel.Warning, Message = "etcd compaction failed, retrying next interval: {Cause}")]
    private static partial void LogFailed(ILogger logger, string cause);
}
