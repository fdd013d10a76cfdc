using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Relational;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClusterRegistry.Infrastructure.Storage.Embedded;

/// <summary>
/// The default store: one SQLite file in the data directory, owned by one process (an OS lock on the file).
/// Writes are serialized in-process and committed in groups (EmbeddedStorage.GroupCommit.cs): each write stages the
/// object row and an event row, and the writes waiting together commit with the revision counter in one transaction and
/// one fsync, then are published to watchers in revision order. Watches replay history from the event table
/// and follow live events, so a watcher that falls behind catches up from disk rather than losing events.
/// The file is trusted only after it has been checked at start (see <see cref="OpenAsync(string, ILogger, CancellationToken)"/>);
/// faults met later are storage errors (503) logged once, and reported by <see cref="CheckHealthAsync"/>.
/// </summary>
public sealed partial class EmbeddedStorage : IObjectStorage, IStorageHealth, IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly WatchBroadcaster _broadcaster = new();
    private readonly EmbeddedDataDirectory _directory;
    private readonly EmbeddedFaults _faults;
    private long _current;
    private long _compacted;

    /// <summary>
    /// Changes a row and changes it back: the page really is written at commit (SQLite skips writing a row updated
    /// to the value it already has, which would make a "no-op" probe pass on a file that cannot be written).
    /// </summary>
    private const string WriteProbeSql =
        "UPDATE store_state SET compacted_revision = compacted_revision + 1; UPDATE store_state SET compacted_revision = compacted_revision - 1;";

    private EmbeddedStorage(string connectionString, EmbeddedDataDirectory directory, EmbeddedFaults faults,
        long current, long compacted)
    {
        _connectionString = connectionString;
        _directory = directory;
        _faults = faults;
        _current = current;
        _compacted = compacted;
        _committer = new GroupCommitter<PendingWrite>(CommitLockedAsync);
    }

    public string Name => "embedded";

    public string DatabasePath => _directory.DatabasePath;

    /// <summary>Opens the store in <paramref name="dataDirectory"/> without logging run-time faults (tests, tools).</summary>
    public static Task<EmbeddedStorage> OpenAsync(string dataDirectory, CancellationToken ct = default) =>
        OpenAsync(dataDirectory, NullLogger.Instance, ct);

    /// <summary>
    /// Opens the store in <paramref name="dataDirectory"/>, initialising it only when it holds no database at all.
    /// Throws <see cref="InvalidOperationException"/> with one line naming the file and the cause when the directory
    /// is not writable, another process owns it, or its database is empty, not SQLite, corrupt (quick_check) or
    /// read-only: a store that cannot be trusted is refused, never silently replaced.
    /// </summary>
    public static async Task<EmbeddedStorage> OpenAsync(string dataDirectory, ILogger logger, CancellationToken ct = default)
    {
        var directory = EmbeddedDataDirectory.Claim(dataDirectory);
        try
        {
            if (!directory.DatabaseExisted)
            {
                await InitializeAsync(directory.InitPath, ct);
                directory.Publish();
            }
            var (current, compacted) = await CheckAndLoadAsync(directory, ct);
            return new EmbeddedStorage(ConnectionString(directory.DatabasePath, pooling: true), directory,
                new EmbeddedFaults(directory.DatabasePath, logger), current, compacted);
        }
        catch (SqliteException e)
        {
            directory.Dispose();
            throw new InvalidOperationException(EmbeddedFaults.Describe(directory.DatabasePath, e), e);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    private static string ConnectionString(string path, bool pooling) =>
        new SqliteConnectionStringBuilder { DataSource = path, Pooling = pooling }.ToString();

    /// <summary>
    /// Builds a new store in a side file that is renamed into place when complete, so a crash during initialisation
    /// leaves no half-made (or empty) registry.db that a later start would have to refuse.
    /// </summary>
    private static async Task InitializeAsync(string path, CancellationToken ct)
    {
        await using var connection = new SqliteConnection(ConnectionString(path, pooling: false));
        await connection.OpenAsync(ct);
        await using (var tx = connection.BeginTransaction())
        {
            await EmbeddedSql.ExecuteAsync(connection, EmbeddedSql.Schema, ct, tx);
            await tx.CommitAsync(ct);
        }
        // Last, so the WAL is empty when this connection closes and nothing is left beside the file that is renamed.
        await EmbeddedSql.ExecuteAsync(connection, "PRAGMA journal_mode=WAL;", ct);
    }

    /// <summary>
    /// Checks that the database can be trusted (integrity, our schema, writable) and reads the revision counters.
    /// SQLite errors escape to <see cref="OpenAsync(string, ILogger, CancellationToken)"/>, which turns them into one line.
    /// </summary>
    private static async Task<(long Current, long Compacted)> CheckAndLoadAsync(EmbeddedDataDirectory directory, CancellationToken ct)
    {
        var path = directory.DatabasePath;
        await using var connection = new SqliteConnection(ConnectionString(path, pooling: false));
        await connection.OpenAsync(ct);
        if (directory.DatabaseExisted)
        {
            // quick_check reads every page (O(N), no index cross-check): a damaged page is found now, not by the
            // first list that happens to touch it.
            var problems = new List<string>();
            await using (var check = EmbeddedSql.Command(connection, "PRAGMA quick_check(3)"))
            {
                await using var rows = await check.ExecuteReaderAsync(ct);
                while (await rows.ReadAsync(ct)) problems.Add(rows.GetString(0));
            }
            if (problems is not ["ok"])
            {
                // One line: SQLite's report spans lines and starts with a "*** in database main ***" banner.
                var found = problems.SelectMany(p => p.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    .Where(line => !line.StartsWith("***", StringComparison.Ordinal)).Take(2);
                throw new InvalidOperationException(
                    $"embedded store {path} is corrupt (quick_check: {string.Join("; ", found)}); move it away or restore it from a backup");
            }
        }
        StoreStateRow? state;
        try
        {
            state = await EmbeddedSql.StateAsync(connection, null, ct);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 1)
        {
            throw new InvalidOperationException(
                $"embedded store {path} is a SQLite database but not a clusterregistry store ({e.Message}); move it away or restore it from a backup", e);
        }
        if (state is null)
            throw new InvalidOperationException(
                $"embedded store {path} holds no revision counter (store_state is empty); move it away or restore it from a backup");
        await UpgradeAsync(connection, ct);
        // A read-only file (or journal) opens and reads fine; only a write tells, so try one and roll it back.
        await using (var tx = connection.BeginTransaction())
        {
            await EmbeddedSql.ExecuteAsync(connection, WriteProbeSql, ct, tx);
            await tx.RollbackAsync(ct);
        }
        await EmbeddedSql.ExecuteAsync(connection, "PRAGMA journal_mode=WAL;", ct);
        return (state.CurrentRevision, state.CompactedRevision);
    }

    /// <summary>
    /// Brings a store file made by an earlier version up to the current model: columns added since are added here
    /// (EnsureCreated only creates missing tables). See docs/decisions/ADR-005-embedded-store.md.
    /// </summary>
    private static async Task UpgradeAsync(SqliteConnection connection, CancellationToken ct)
    {
        (string Table, string Column, string Definition)[] added =
        [
            ("objects", "labels", "TEXT NULL"),
            ("events", "prev_revision", "INTEGER NOT NULL DEFAULT 0"),
        ];
        foreach (var (table, column, definition) in added)
        {
            await using var probe = connection.CreateCommand();
            probe.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
            if (Convert.ToInt64(await probe.ExecuteScalarAsync(ct)) > 0) continue;
            await using var alter = connection.CreateCommand();
            alter.CommandText = $"ALTER TABLE {table} ADD COLUMN {column} {definition}";
            await alter.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>A pooled connection, opened.</summary>
    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>A pooled connection, opened, with the store's pragmas.</summary>
    private async Task<SqliteConnection> OpenWithPragmasAsync(CancellationToken ct)
    {
        var connection = await OpenAsync(ct);
        try
        {
            // Durability: a write acknowledged to a client survives a crash of the process or the machine.
            await EmbeddedSql.ExecuteAsync(connection, "PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;", ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask<StoredObject?> GetAsync(string key, CancellationToken ct)
    {
        try
        {
            await using var connection = await OpenAsync(ct);
            return await EmbeddedSql.GetAsync(connection, key, ct);
        }
        catch (SqliteException e)
        {
            throw _faults.Fail(e, key, "read", write: false);
        }
    }

    /// <summary>No cache: the latest state is at least that new.</summary>
    public ValueTask<StoredObject?> GetAsync(string key, long minRevision, CancellationToken ct) => GetAsync(key, ct);

    public async ValueTask<StoredPage> ListAsync(string prefix, ListRange range, CancellationToken ct)
    {
        try
        {
            return await ListCoreAsync(prefix, range, ct);
        }
        catch (SqliteException e)
        {
            throw _faults.Fail(e, prefix, "list", write: false);
        }
    }

    private async ValueTask<StoredPage> ListCoreAsync(string prefix, ListRange range, CancellationToken ct)
    {
        await using var connection = await OpenWithPragmasAsync(ct);
        // One read transaction: WAL gives it a consistent snapshot across the queries below.
        await using var tx = connection.BeginTransaction();
        return await EmbeddedSql.ListAtRevisionAsync(connection, tx, prefix, range, ct);
    }

    public ValueTask<long> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken ct) =>
        WriteAsync(key, expected: null, value.ToArray(), ct);

    public ValueTask<long> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedRevision, CancellationToken ct) =>
        WriteAsync(key, expectedRevision, value.ToArray(), ct);

    public ValueTask<long> DeleteAsync(string key, long expectedRevision, CancellationToken ct) =>
        WriteAsync(key, expectedRevision, null, ct);

    public IAsyncEnumerable<StorageEvent> WatchAsync(string prefix, long afterRevision, CancellationToken ct) => Watch(prefix, afterRevision, progress: false, ct);

    public IAsyncEnumerable<StorageEvent> WatchWithProgressAsync(string prefix, long afterRevision, CancellationToken ct) => Watch(prefix, afterRevision, progress: true, ct);

    private IAsyncEnumerable<StorageEvent> Watch(string prefix, long afterRevision, bool progress, CancellationToken ct) =>
        RelationalWatch.WatchAsync(_broadcaster, prefix, afterRevision, async (last, token) =>
        {
            try
            {
                return await EventsAfterAsync(prefix, last, token);
            }
            catch (SqliteException e)
            {
                throw _faults.Fail(e, prefix, "watch", write: false);
            }
        }, ct, progress);

    private async Task<List<EventRow>> EventsAfterAsync(string prefix, long last, CancellationToken token)
    {
        await using var connection = await OpenWithPragmasAsync(token);
        // The compaction point and the events are read in one snapshot, so a concurrent compaction either
        // happened before (Expired) or not at all for this read: never a silent gap.
        await using var tx = connection.BeginTransaction();
        var compacted = (await EmbeddedSql.RequiredStateAsync(connection, tx, token)).CompactedRevision;
        if (last < compacted)
            throw new StorageException(StorageErrorCode.Expired, prefix, "required revision has been compacted", compacted);
        return await EmbeddedSql.EventsAfterAsync(connection, tx, prefix, last, RelationalWatch.EventBatch, token);
    }

    public ValueTask<long> CurrentRevisionAsync(CancellationToken ct) => ValueTask.FromResult(Volatile.Read(ref _current));

    /// <summary>True: the only writer of its file keeps the revision in memory.</summary>
    public bool RevisionInMemory => true;

    /// <summary>
    /// Prunes history at or below <paramref name="revision"/>; lists and watches from before it become Expired.
    /// The latest revision's event is always kept, so the store may compact below the revision asked for.
    /// </summary>
    /// <returns>The store's compaction point after the call: what was actually compacted (never above
    /// <paramref name="revision"/> unless an earlier compaction went further). A watch cache forgets its history up
    /// to this revision, not the one asked for, or it would answer 410 Expired for revisions the store still has.</returns>
    public async Task<long> CompactAsync(long revision, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            // Under the lock: the current revision cannot move between the clamp and the commit.
            revision = Math.Min(revision, Volatile.Read(ref _current) - 1);
            if (revision <= Volatile.Read(ref _compacted)) return Volatile.Read(ref _compacted);
            await using var connection = await OpenWithPragmasAsync(ct);
            await using var tx = connection.BeginTransaction();
            await using (var prune = EmbeddedSql.Command(connection,
                "DELETE FROM events WHERE revision <= $revision; UPDATE store_state SET compacted_revision = $revision;", tx))
            {
                prune.Parameters.AddWithValue("$revision", revision);
                await prune.ExecuteNonQueryAsync(ct);
            }
            await tx.CommitAsync(ct);
            Volatile.Write(ref _compacted, revision);
            _faults.WriteSucceeded();
            return revision;
        }
        catch (SqliteException e)
        {
            throw _faults.Fail(e, "", "compaction", write: true);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public long CompactedRevision => Volatile.Read(ref _compacted);

    /// <summary>
    /// Null when the file can be read (and, after a failed write, written: the check then commits a no-op write,
    /// so the store reports recovery without waiting for client traffic); otherwise the cause, as logged.
    /// Corruption found at run time keeps the store unready until a restart runs the integrity check again.
    /// </summary>
    public async ValueTask<string?> CheckHealthAsync(CancellationToken ct)
    {
        if (_faults.Corruption is { } corruption) return corruption;
        var writing = _faults.WriteFailure is not null;
        try
        {
            if (writing) await ProbeWriteAsync(ct);
            else await ProbeReadAsync(ct);
            return null;
        }
        catch (SqliteException e)
        {
            return _faults.Fail(e, "", "readiness check", write: writing).Message;
        }
    }

    private async Task ProbeReadAsync(CancellationToken ct)
    {
        await using var connection = await OpenWithPragmasAsync(ct);
        await using var tx = connection.BeginTransaction();
        await EmbeddedSql.RequiredStateAsync(connection, tx, ct);
    }

    private async Task ProbeWriteAsync(CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            await using var connection = await OpenWithPragmasAsync(ct);
            await using var tx = connection.BeginTransaction();
            await EmbeddedSql.ExecuteAsync(connection, WriteProbeSql, ct, tx);
            await tx.CommitAsync(CancellationToken.None);
            _faults.WriteSucceeded();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopCommittingAsync();
        _broadcaster.CompleteAll();
        await CheckpointAsync();
        // Connections close before the lock is released, so the next owner never meets one of ours.
        await using (var connection = new SqliteConnection(ConnectionString(DatabasePath, pooling: true)))
            SqliteConnection.ClearPool(connection);
        _directory.Dispose();
    }

    /// <summary>
    /// Folds the WAL into registry.db on a clean stop, so the file alone is the whole store (for a copy, and for the
    /// next start's integrity check). Best effort: a store that cannot be written keeps its WAL, which SQLite replays.
    /// </summary>
    private async Task CheckpointAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            await using var connection = await OpenAsync(CancellationToken.None);
            await EmbeddedSql.ExecuteAsync(connection, "PRAGMA wal_checkpoint(TRUNCATE);", CancellationToken.None);
        }
        catch (SqliteException)
        {
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
