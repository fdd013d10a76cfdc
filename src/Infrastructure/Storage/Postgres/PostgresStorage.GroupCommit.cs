using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Relational;

namespace ClusterRegistry.Infrastructure.Storage.Postgres;

/// <summary>
/// Group commit, as the embedded store does (ADR-017): one committer per server process takes every write queued while
/// the previous group was committing (at most 256, <see cref="GroupCommitter{TWrite}"/>), and commits them in one
/// transaction with one counter-row update and one commit (one WAL flush). See docs/decisions/ADR-024-postgres-group-commit.md.
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
    private readonly GroupCommitter<PendingWrite> _committer;

    /// <summary>The committer's connection; only the commit uses it, null after a failed group.</summary>
    private PostgresWriter? _writer;

    /// <param name="Expected">null: create; otherwise the mod revision the key must still have.</param>
    /// <param name="Value">null: delete.</param>
    /// <param name="Labels">metadata.labels of <paramref name="Value"/>, computed by the caller's thread, not the committer's.</param>
    private sealed record PendingWrite(string Key, long? Expected, byte[]? Value, string? Labels);

    private ValueTask<long> WriteAsync(string key, long? expected, byte[]? value, CancellationToken ct) =>
        _committer.WriteAsync(new PendingWrite(key, expected, value, value is null ? null : RelationalWrites.LabelsOf(value)), ct);

    /// <summary>Commits <paramref name="group"/> in one transaction and completes each write with its revision or its error.</summary>
    private async Task CommitGroupAsync(IReadOnlyList<GroupCommitter<PendingWrite>.Pending> group)
    {
        var applied = new List<(GroupCommitter<PendingWrite>.Pending Write, long Revision)>(group.Count);
        var staged = new List<PostgresWriter.Staged>(group.Count);
        // Refusals are judged against the group's earlier writes, which are not durable yet: they are answered only
        // after the commit, so no client is told of a state the store then failed to keep.
        var refused = new List<(GroupCommitter<PendingWrite>.Pending Write, StorageException Error)>();
        try
        {
            var writer = _writer ??= await PostgresWriter.OpenAsync(_connectionString, CancellationToken.None);
            var keys = group.Select(w => w.Write.Key).Distinct(StringComparer.Ordinal).ToArray();
            var (revision, modRevisions) = await writer.BeginAsync(keys, CancellationToken.None);
            // The keys' state as the group's writes so far leave it: null when absent.
            var state = keys.ToDictionary(k => k, k => modRevisions.TryGetValue(k, out var r) ? r : (long?)null, StringComparer.Ordinal);
            foreach (var pending in group)
            {
                var write = pending.Write;
                var current = state[write.Key];
                try
                {
                    RelationalWrites.Check(write.Key, write.Expected, current);
                }
                catch (StorageException e)
                {
                    refused.Add((pending, e));
                    continue;
                }
                revision++;
                staged.Add(new PostgresWriter.Staged(write.Key, write.Value, write.Labels, revision, current is not null));
                applied.Add((pending, revision));
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
            foreach (var pending in group) pending.Fail(Translate(e, pending.Write.Key));
            return;
        }
        foreach (var (write, error) in refused) write.Fail(error);
        foreach (var (write, revision) in applied) write.Complete(revision);
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
        await _committer.StopAsync();
        await DropWriterAsync();
    }
}
