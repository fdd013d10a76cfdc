using System.Threading.Channels;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Relational;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace ClusterRegistry.Infrastructure.Storage.Embedded;

/// <summary>
/// Group commit, as etcd batches its backend writes: writes queue up while the previous group is being made durable,
/// and the next group commits them together in one transaction and one fsync (synchronous=FULL), so throughput grows
/// with concurrency while every write is still durable before it is acknowledged. See
/// docs/decisions/ADR-017-storage-group-commit-and-write-nonces.md.
/// </summary>
/// <remarks>
/// Within a group each write runs its own precondition check and its own SaveChanges, against the state the writes
/// before it in the group left (the same transaction), so a write that fails its precondition or a constraint fails
/// alone: nothing of it is staged (EF rolls the transaction back to the savepoint it set before the SaveChanges).
/// Revisions are handed out in queue order, and the group is published to watchers in that order after the commit.
/// A failure of the transaction itself (I/O, a full disk) fails every write of the group: none of them committed.
/// </remarks>
public sealed partial class EmbeddedStorage
{
    /// <summary>At most this many writes share a transaction, so one group's latency stays bounded.</summary>
    private const int MaxGroup = 256;

    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _committer;

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
                await CommitGroupAsync(group);
            }
            finally
            {
                _writeLock.Release();
                group.Clear();
            }
        }
    }

    /// <summary>Commits <paramref name="group"/> in one transaction and completes each write with its revision or its error.</summary>
    private async Task CommitGroupAsync(List<PendingWrite> group)
    {
        var applied = new List<(PendingWrite Write, StorageEvent Change)>(group.Count);
        // Refusals are judged against the group's earlier writes, which are not durable yet: they are answered only
        // after the commit, so no client is told of a state the store then failed to keep.
        var refused = new List<(PendingWrite Write, StorageException Error)>();
        var revision = _current;
        var failing = group[0];
        try
        {
            await using var db = Db();
            await PragmasAsync(db, CancellationToken.None);
            await using var tx = await db.Database.BeginTransactionAsync();
            foreach (var write in group)
            {
                failing = write;
                var (change, refusal) = await StageAsync(db, write, revision + 1);
                if (refusal is not null)
                {
                    refused.Add((write, refusal));
                    continue;
                }
                revision++;
                applied.Add((write, change!));
            }
            if (applied.Count == 0)
            {
                foreach (var (write, error) in refused) write.Done.TrySetException(error);
                return;
            }
            await db.State.ExecuteUpdateAsync(s => s.SetProperty(x => x.CurrentRevision, revision));
            failing = applied[^1].Write;
            await tx.CommitAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is SqliteException or DbUpdateException { InnerException: SqliteException })
        {
            // The transaction is lost as a whole: nothing of the group committed. EF wraps the file's faults (read-only,
            // I/O) too; they are the store's failure, not the requests'.
            var cause = e as SqliteException ?? (SqliteException)e.InnerException!;
            var error = _faults.Fail(cause, failing.Key, "write", write: true);
            foreach (var write in group) write.Done.TrySetException(error);
            return;
        }
        catch (Exception e)
        {
            foreach (var write in group) write.Done.TrySetException(e);
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

    /// <summary>
    /// Checks and stages one write at <paramref name="revision"/> and saves it into the open transaction; or the
    /// reason it failed on its own (nothing of it stays in the transaction).
    /// </summary>
    private static async Task<(StorageEvent? Change, StorageException? Refusal)> StageAsync(RegistryDbContext db, PendingWrite write, long revision)
    {
        try
        {
            var row = await db.Objects.FirstOrDefaultAsync(o => o.Key == write.Key);
            var change = RelationalWrites.Stage(db, row, write.Key, write.Expected, write.Value, revision);
            await db.SaveChangesAsync();
            db.ChangeTracker.Clear();
            return (change, null);
        }
        catch (StorageException e)
        {
            // The precondition failed before anything was staged.
            return (null, e);
        }
        catch (DbUpdateException e) when (e.InnerException is SqliteException { SqliteErrorCode: SqliteCodes.Constraint })
        {
            // EF rolled the transaction back to the savepoint it set before this SaveChanges; the entities it could not
            // save are forgotten so the next write of the group does not save them again.
            db.ChangeTracker.Clear();
            return (null, new StorageException(StorageErrorCode.KeyExists, write.Key, "key exists", inner: e));
        }
    }

    /// <summary>Takes no more writes and waits until the ones queued have been committed or failed.</summary>
    private async Task StopCommittingAsync()
    {
        _queue.Writer.TryComplete();
        await _committer;
    }
}
