using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Infrastructure.Storage.Compaction;

/// <summary>
/// Compaction of a store whose compaction point is kept in the store itself (embedded, PostgreSQL): compacting at or
/// below that point does nothing, so replicas need no turns and each round compacts.
/// </summary>
internal sealed class SingleWriterCompaction(string name, IObjectStorage storage, Func<long, CancellationToken, Task<long>> compact) : IHistoryCompaction
{
    public string Name => name;

    public async Task<CompactionRound> RunRoundAsync(long revision, CancellationToken ct)
    {
        long? compacted = revision > 0 ? await compact(revision, ct) : null;
        return new CompactionRound(await storage.CurrentRevisionAsync(ct), compacted);
    }
}
