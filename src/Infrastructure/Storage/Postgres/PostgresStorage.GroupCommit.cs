using System.Threading.Channels;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Relational;

namespace ClusterRegistry.Infrastructure.Storage.Postgres;

/// <summary>
/// Group commit, as the embedded store does (ADR-017): one committer per server process takes every write queued while
/// the previous group was committing (at most <see cref="MaxGroup"/>), and commits them in one transaction with one
/// counter-row update and one commit (one WAL flush). See docs/decisions/ADR-024-postgres-group-commit.md.
/// </summary>
/// <remarks>
/// Each write's precondition is checked against the mod revisions read under the counter-row lock plus the group's
/// earlier writes, before anything of it is staged, so a refused write fails alone and needs no savepoint: every
/// writer of the objects table, on every replica, holds that lock while it writes. A failure of the transaction itself
/// fails every write of the group (none of it committed), and no write is answered before its group's COMMIT returned.
/// Watchers still learn of the writes from the events table (the listener), in revision order.
/// </remarks>
public sealed partial class PostgresStorage
{
    /// <summary>At most this many writes share a transaction, so one group's latency stays bounded.</summary>
    private const int MaxGroup = 256;

    private readonly Channel<PendingWrite> _queue = System.Threading.Channels.Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _committer;

    /// <summary>The committer's connection; only the commit loop uses it, null after a failed group.</summary>
    private PostgresWriter? _writer;

    /// <param name="Expected">null: create; otherwise the mod revision the key must still have.</param>
    /// <param name="Value">null: delete.</param>
    /// <param name="Labels">metadata.labels of <paramref name="Value"/>, computed by the caller's thread, not the committer's.</param>
    private sealed record PendingWrite(string Key, long? Expected, byte[]? Value, string? Labels, CancellationToken Cancellation)
    {
        public TaskCompletionSource<long> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private async ValueTask<long> WriteAsync(string key, long? expected, byte[]? value, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var write = new PendingWrite(key, expected, value, value is null ? null : RelationalWrites.LabelsOf(value), ct);
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
            try
            {
                await CommitGroupAsync(group);
            }
            finally
            {
                group.Clear();
            }
        }
    }

    /// <summary>Commits <paramref name="group"/> in one transaction and completes each write with its revision or its error.</summary>
    private async Task CommitGroupAsync(List<PendingWrite> group)
    {
        var applied = new List<(PendingWrite Write, long Revision)>(group.Count);
        var staged = new List<PostgresWriter.Staged>(group.Count);
        // Refusals are judged against the group's earlier writes, which are not durable yet: they are answered only
        // after the commit, so no client is told of a state the store then failed to keep.
        var refused = new List<(PendingWrite Write, StorageException Error)>();
        try
        {
            var writer = _writer ??= await PostgresWriter.OpenAsync(_connectionString, CancellationToken.None);
            var keys = group.Select(w => w.Key).Distinct(StringComparer.Ordinal).ToArray();
            var (revision, modRevisions) = await writer.BeginAsync(keys, CancellationToken.None);
            // The keys' state as the group's writes so far leave it: null when absent.
            var state = keys.ToDictionary(k => k, k => modRevisions.TryGetValue(k, out var r) ? r : (long?)null, StringComparer.Ordinal);
            foreach (var write in group)
            {
                var current = state[write.Key];
                try
                {
                    RelationalWrites.Check(write.Key, write.Expected, current);
                }
                catch (StorageException e)
                {
                    refused.Add((write, e));
                    continue;
                }
                revision++;
                staged.Add(new PostgresWriter.Staged(write.Key, write.Value, write.Labels, revision, current is not null));
                applied.Add((write, revision));
                state[write.Key] = write.Value is null ? null : revision;
            }
            if (applied.Count == 0) await writer.RollbackAsync(CancellationToken.None);
            else await writer.CommitAsync(staged, revision, Channel, CancellationToken.None);
        }
        catch (Exception e)
        {
            // The transaction is lost as a whole: nothing of the group committed (or, when the connection broke during
            // COMMIT, nobody can tell: the same answer a lone write gets then). The connection is replaced, so nothing
            // half-finished leaks into a later group.
            await DropWriterAsync();
            foreach (var write in group) write.Done.TrySetException(Translate(e, write.Key));
            return;
        }
        foreach (var (write, error) in refused) write.Done.TrySetException(error);
        foreach (var (write, revision) in applied) write.Done.TrySetResult(revision);
    }

    private async Task DropWriterAsync()
    {
        if (_writer is null) return;
        try
        {
            await _writer.DisposeAsync();
        }
        catch (Exception e) when (IsDatabaseError(e))
        {
            // Closing a broken connection may fail too; it is gone either way.
        }
        _writer = null;
    }

    /// <summary>Takes no more writes and waits until the ones queued have been committed or failed.</summary>
    private async Task StopCommittingAsync()
    {
        _queue.Writer.TryComplete();
        await _committer;
        await DropWriterAsync();
    }
}
