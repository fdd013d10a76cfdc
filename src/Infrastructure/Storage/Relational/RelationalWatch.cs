using System.Runtime.CompilerServices;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Infrastructure.Storage.Relational;

/// <summary>
/// The watch loop of the relational backends: subscribe to live events first, replay history from the event table
/// after the last delivered revision, then follow live events, skipping what history already delivered. A watcher cut
/// loose for falling behind goes round again and catches up from the table, so it neither stalls others nor loses events.
/// </summary>
public static class RelationalWatch
{
    public const int EventBatch = 500;

    /// <param name="readAfter">Reads up to <see cref="EventBatch"/> events under the prefix after a revision, in one
    /// snapshot with the compaction point; throws Expired when that revision has been compacted away.</param>
    /// <param name="progress">Report live writes outside the prefix as Progress events (the broadcaster publishes every key).</param>
    public static async IAsyncEnumerable<StorageEvent> WatchAsync(WatchBroadcaster broadcaster, string prefix, long afterRevision,
        Func<long, CancellationToken, Task<List<EventRow>>> readAfter, [EnumeratorCancellation] CancellationToken ct, bool progress = false)
    {
        var last = afterRevision;
        while (!ct.IsCancellationRequested)
        {
            using var subscription = broadcaster.Subscribe();
            while (true)
            {
                var batch = await readAfter(last, ct);
                foreach (var e in batch)
                {
                    last = e.Revision;
                    yield return RelationalReads.ToEvent(e);
                }
                if (batch.Count < EventBatch) break;
            }
            await foreach (var e in subscription.Reader.ReadAllAsync(ct))
            {
                if (e.Revision <= last) continue;
                last = e.Revision;
                if (e.Key.StartsWith(prefix, StringComparison.Ordinal)) yield return e;
                else if (progress) yield return new StorageEvent(StorageEventType.Progress, "", null, null, e.Revision);
            }
            if (!subscription.Overflowed) yield break;
        }
    }
}
