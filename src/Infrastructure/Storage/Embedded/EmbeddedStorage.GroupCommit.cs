using ClusterRegistry.Application.Abstractions;
using Microsoft.Data.Sqlite;

namespace ClusterRegistry.Infrastructure.Storage.Embedded;

/// <summary>
/// Group commit, as etcd batches its backend writes: writes queue up while the previous group is being made durable,
/// and the next group commits them together in one transaction and one fsync (synchronous=FULL), so throughput grows
/// with concurrency while every write is still durable before it is acknowledged. See
/// docs/decisions/ADR-017-storage-group-commit-and-write-nonces.md.
/// </summary>
/// <remarks>
/// Within a group each write runs its own precondition check against the state the writes before it in the group left
/// (the same transaction), so a write that fails its precondition fails alone: it is refused before anything of it is
/// written (<see cref="EmbeddedWriter"/>).
/// Revisions are handed out in queue order, and the group is published to watchers in that order after the commit.
/// A failure of the transaction itself (I/O, a full disk) fails every write of the group: none of them committed.
/// </remarks>
public sealed partial class EmbeddedStorage
{
    private readonly GroupCommitter<PendingWrite> _committer;

    /// <summary>The committer's connection; only the commit (under the write lock) uses it, null after a failed group.</summary>
    private EmbeddedWriter? _writer;

    /// <param name="Expected">null: create; otherwise the mod revision the key must still have.</param>
    /// <param name="Value">null: delete.</param>
    private sealed record PendingWrite(string Key, long? Expected, byte[]? Value);

    private ValueTask<long> WriteAsync(string key, long? expected, byte[]? value, CancellationToken ct) =>
        _committer.WriteAsync(new PendingWrite(key, expected, value), ct);

    /// <summary>Under the write lock: compaction and the write probe never run inside a group.</summary>
    private async Task CommitLockedAsync(IReadOnlyList<GroupCommitter<PendingWrite>.Pending> group)
    {
        await _writeLock.WaitAsync();
        try
        {
            CommitGroup(group);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Commits <paramref name="group"/> in one transaction and completes each write with its revision or its error.</summary>
    private void CommitGroup(IReadOnlyList<GroupCommitter<PendingWrite>.Pending> group)
    {
        var applied = new List<(GroupCommitter<PendingWrite>.Pending Write, StorageEvent Change)>(group.Count);
        // Refusals are judged against the group's earlier writes, which are not durable yet: they are answered only
        // after the commit, so no client is told of a state the store then failed to keep.
        var refused = new List<(GroupCommitter<PendingWrite>.Pending Write, StorageException Error)>();
        var revision = _current;
        var failing = group[0];
        try
        {
            var writer = _writer ??= new EmbeddedWriter(ConnectionString(DatabasePath, pooling: false));
            writer.Begin();
            foreach (var write in group)
            {
                failing = write;
                try
                {
                    applied.Add((write, writer.Write(write.Write.Key, write.Write.Expected, write.Write.Value, revision + 1)));
                    revision++;
                }
                catch (StorageException e)
                {
                    // The precondition failed before anything of this write was written.
                    refused.Add((write, e));
                }
            }
            if (applied.Count == 0)
            {
                writer.Rollback();
                foreach (var (write, error) in refused) write.Fail(error);
                return;
            }
            failing = applied[^1].Write;
            writer.Commit(revision);
        }
        catch (Exception e)
        {
            // The transaction is lost as a whole: nothing of the group committed. A connection whose transaction
            // cannot even be rolled back is replaced, so nothing half-finished leaks into a later group.
            try
            {
                _writer?.Rollback();
            }
            catch (SqliteException)
            {
                _writer?.Dispose();
                _writer = null;
            }
            var error = e is SqliteException sqlite ? _faults.Fail(sqlite, failing.Write.Key, "write", write: true) : e;
            foreach (var write in group) write.Fail(error);
            return;
        }
        Volatile.Write(ref _current, revision);
        _faults.WriteSucceeded();
        foreach (var (write, error) in refused) write.Fail(error);
        try
        {
            foreach (var (_, change) in applied) _broadcaster.Publish(change);
        }
        finally
        {
            // The writes are durable whatever publishing did; their callers are answered, and the loop goes on.
            foreach (var (write, change) in applied) write.Complete(change.Revision);
        }
    }

    /// <summary>Takes no more writes and waits until the ones queued have been committed or failed.</summary>
    private async Task StopCommittingAsync()
    {
        await _committer.StopAsync();
        _writer?.Dispose();
        _writer = null;
    }
}
