using System.Threading.Channels;
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
    /// <summary>At most this many writes share a transaction, so one group's latency stays bounded.</summary>
    private const int MaxGroup = 256;

    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _committer;

    /// <summary>The committer's connection; only the commit loop uses it (under the write lock), null after a failed group.</summary>
    private EmbeddedWriter? _writer;

    /// <param name="Expected">null: create; otherwise the mod revision the key must still have.</param>
    /// <param name="Value">null: delete.</param>
    private sealed record PendingWrite(string Key, long? Expected, byte[]? Value, CancellationToken Cancellation)
    {
        public TaskCompletionSource<long> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private async ValueTask<long> WriteAsync(string key, long? expected, byte[]? value, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var write = new PendingWrite(key, expected, value, ct);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(write), this);
        return await write.Done.Task;
    }

    private async Task CommitLoopAsync()
    {
        var group = new List<PendingWrite>(MaxGroup);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (group.Count < MaxGroup && _queue.Reader.TryRead(out var write))
            {
                // A caller that gave up before its write was taken does not get it applied behind its back.
                if (write.Cancellation.IsCancellationRequested) write.Done.TrySetCanceled(write.Cancellation);
                else group.Add(write);
            }
            if (group.Count == 0) continue;
            await _writeLock.WaitAsync();
            try
            {
                CommitGroup(group);
            }
            finally
            {
                _writeLock.Release();
                group.Clear();
            }
        }
    }

    /// <summary>Commits <paramref name="group"/> in one transaction and completes each write with its revision or its error.</summary>
    private void CommitGroup(List<PendingWrite> group)
    {
        var applied = new List<(PendingWrite Write, StorageEvent Change)>(group.Count);
        // Refusals are judged against the group's earlier writes, which are not durable yet: they are answered only
        // after the commit, so no client is told of a state the store then failed to keep.
        var refused = new List<(PendingWrite Write, StorageException Error)>();
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
                    applied.Add((write, writer.Write(write.Key, write.Expected, write.Value, revision + 1)));
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
                foreach (var (write, error) in refused) write.Done.TrySetException(error);
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
            var error = e is SqliteException sqlite ? _faults.Fail(sqlite, failing.Key, "write", write: true) : e;
            foreach (var write in group) write.Done.TrySetException(error);
            return;
        }
        Volatile.Write(ref _current, revision);
        _faults.WriteSucceeded();
        foreach (var (write, error) in refused) write.Done.TrySetException(error);
        try
        {
            foreach (var (_, change) in applied) _broadcaster.Publish(change);
        }
        finally
        {
            // The writes are durable whatever publishing did; their callers are answered, and the loop goes on.
            foreach (var (write, change) in applied) write.Done.TrySetResult(change.Revision);
        }
    }

    /// <summary>Takes no more writes and waits until the ones queued have been committed or failed.</summary>
    private async Task StopCommittingAsync()
    {
        _queue.Writer.TryComplete();
        await _committer;
        _writer?.Dispose();
        _writer = null;
    }
}
