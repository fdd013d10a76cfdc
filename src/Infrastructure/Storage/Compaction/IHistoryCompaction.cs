namespace ClusterRegistry.Infrastructure.Storage.Compaction;

/// <summary>
/// What a round of compaction did: the store's revision now (the next round's point) and, when this replica
/// compacted, the revision the store actually compacted at (which can be below the one asked for: the embedded store
/// keeps the latest event), or null.
/// </summary>
public readonly record struct CompactionRound(long CurrentRevision, long? CompactedAt);

/// <summary>
/// A backend's history compaction, the port <see cref="HistoryCompactor"/> drives on a schedule. A round that fails
/// throws; the compactor logs the cause and runs the round again at the next tick with the same point.
/// </summary>
public interface IHistoryCompaction
{
    /// <summary>The backend as log lines name it (<c>etcd</c>, <c>PostgreSQL</c>, <c>embedded</c>).</summary>
    string Name { get; }

    /// <summary>
    /// One round: compacts the history at or below <paramref name="revision"/> (0: nothing yet; the first round only
    /// learns where the store stands), unless another replica sharing the store has compacted since this one's last
    /// round. Returns the store's current revision and the revision it compacted at, if this replica compacted.
    /// </summary>
    Task<CompactionRound> RunRoundAsync(long revision, CancellationToken ct);
}
