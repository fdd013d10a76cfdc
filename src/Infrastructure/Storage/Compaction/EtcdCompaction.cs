using ClusterRegistry.Infrastructure.Storage.Etcd;

namespace ClusterRegistry.Infrastructure.Storage.Compaction;

/// <summary>
/// kube-apiserver's etcd compaction (k8s.io/apiserver/pkg/storage/etcd3/compact.go): replicas sharing an etcd take
/// turns through the version of <see cref="EtcdStorage.CompactRevisionKey"/>. Only the one whose view of that version
/// is current compacts in a round; the others adopt the new version and wait for the next.
/// </summary>
internal sealed class EtcdCompaction(EtcdStorage storage) : IHistoryCompaction
{
    private long _version;

    public string Name => "etcd";

    public async Task<CompactionRound> RunRoundAsync(long revision, CancellationToken ct)
    {
        var previousVersion = _version;
        var round = await storage.CompactRoundAsync(previousVersion, revision, ct);
        _version = round.Version;
        // Only a round this replica won compacted (another replica's round compacts elsewhere).
        return new CompactionRound(round.Revision, round.Compacted);
    }
}
