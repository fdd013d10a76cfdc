using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Relational;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace ClusterRegistry.Infrastructure.Storage.Embedded;

/// <summary>
/// The default store: one SQLite file in the data directory, owned by one process (an exclusive lock file).
/// Writes are serialized in-process; each commits the object row, an event row and the revision counter in one
/// transaction, then is published to watchers in revision order. Watches replay history from the event table
/// and follow live events, so a watcher that falls behind catches up from disk rather than losing events.
/// </summary>
public sealed class EmbeddedStorage : IObjectStorage, IAsyncDisposable
{
    private readonly DbContextOptions<RegistryDbContext> _options;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly WatchBroadcaster _broadcaster = new();
    private readonly FileStream _ownerLock;
    private long _current;
    private long _compacted;

    private EmbeddedStorage(DbContextOptions<RegistryDbContext> options, FileStream ownerLock, long current, long compacted)
    {
        _options = options;
        _ownerLock = ownerLock;
        _current = current;
        _compacted = compacted;
    }

    public string Name => "embedded";

    public string? DatabasePath { get; private init; }

    /// <summary>Opens (creating if needed) the store in <paramref name="dataDirectory"/>; fails if another process owns it.</summary>
    public static async Task<EmbeddedStorage> OpenAsync(string dataDirectory, CancellationToken ct = default)
    {
        Directory.CreateDirectory(dataDirectory);
        var lockPath = Path.Combine(dataDirectory, "registry.lock");
        FileStream ownerLock;
        try
        {
            ownerLock = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException(
                $"the data directory {dataDirectory} is in use by another clusterregistry process (lock file {lockPath})", e);
        }
        var dbPath = Path.Combine(dataDirectory, "registry.db");
        var connection = new SqliteConnectionStringBuilder { DataSource = dbPath, Pooling = true }.ToString();
        var options = new DbContextOptionsBuilder<RegistryDbContext>().UseSqlite(connection).Options;
        await using (var db = new RegistryDbContext(options))
        {
            await db.Database.EnsureCreatedAsync(ct);
            await UpgradeAsync(db, ct);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            if (!await db.State.AnyAsync(ct))
            {
                db.State.Add(new StoreStateRow { Id = 1, CurrentRevision = 1, CompactedRevision = 0 });
                await db.SaveChangesAsync(ct);
            }
            var state = await db.State.AsNoTracking().SingleAsync(ct);
            return new EmbeddedStorage(options, ownerLock, state.CurrentRevision, state.CompactedRevision) { DatabasePath = dbPath };
        }
    }

    /// <summary>
    /// Brings a store file made by an earlier version up to the current model: columns added since are added here
    /// (EnsureCreated only creates missing tables). See docs/decisions/ADR-005-embedded-store.md.
    /// </summary>
    private static async Task UpgradeAsync(RegistryDbContext db, CancellationToken ct)
    {
        (string Table, string Column, string Definition)[] added =
        [
            ("objects", "labels", "TEXT NULL"),
            ("events", "prev_revision", "INTEGER NOT NULL DEFAULT 0"),
        ];
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
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

    private RegistryDbContext Db()
    {
        var db = new RegistryDbContext(_options);
        db.ChangeTracker.AutoDetectChangesEnabled = true;
        return db;
    }

    private static async Task PragmasAsync(RegistryDbContext db, CancellationToken ct)
    {
        // Durability: a write acknowledged to a client survives a crash of the process or the machine.
        await db.Database.OpenConnectionAsync(ct);
        await db.Database.ExecuteSqlRawAsync("PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;", ct);
    }

    public async ValueTask<StoredObject?> GetAsync(string key, CancellationToken ct)
    {
        try
        {
            await using var db = Db();
            return await RelationalReads.GetAsync(db, key, ct);
        }
        catch (SqliteException e)
        {
            throw new StorageException(StorageErrorCode.Unreachable, key, e.Message, inner: e);
        }
    }

    public async ValueTask<StoredPage> ListAsync(string prefix, ListRange range, CancellationToken ct)
    {
        try
        {
            return await ListCoreAsync(prefix, range, ct);
        }
        catch (SqliteException e)
        {
            throw new StorageException(StorageErrorCode.Unreachable, prefix, e.Message, inner: e);
        }
    }

    private async ValueTask<StoredPage> ListCoreAsync(string prefix, ListRange range, CancellationToken ct)
    {
        await using var db = Db();
        await PragmasAsync(db, ct);
        // One read transaction: WAL gives it a consistent snapshot across the queries below.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        return await RelationalReads.ListAtRevisionAsync(db, prefix, range, ct);
    }

    public ValueTask<long> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken ct) =>
        WriteAsync(key, expected: null, value.ToArray(), ct);

    public ValueTask<long> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedRevision, CancellationToken ct) =>
        WriteAsync(key, expectedRevision, value.ToArray(), ct);

    public ValueTask<long> DeleteAsync(string key, long expectedRevision, CancellationToken ct) =>
        WriteAsync(key, expectedRevision, null, ct);

    /// <param name="expected">null: create; otherwise the mod revision the key must still have.</param>
    /// <param name="value">null: delete.</param>
    private async ValueTask<long> WriteAsync(string key, long? expected, byte[]? value, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            await using var db = Db();
            await PragmasAsync(db, ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var row = await db.Objects.FirstOrDefaultAsync(o => o.Key == key, ct);
            var revision = _current + 1;
            var change = RelationalWrites.Stage(db, row, key, expected, value, revision);
            var state = await db.State.SingleAsync(ct);
            state.CurrentRevision = revision;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(CancellationToken.None);
            Volatile.Write(ref _current, revision);
            _broadcaster.Publish(change);
            return revision;
        }
        catch (DbUpdateException e) when (e.InnerException is SqliteException { SqliteErrorCode: 19 })
        {
            // A constraint violation means another writer got there first: only possible on create.
            throw new StorageException(StorageErrorCode.KeyExists, key, "key exists", inner: e);
        }
        catch (SqliteException e)
        {
            throw new StorageException(StorageErrorCode.Unreachable, key, e.Message, inner: e);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public IAsyncEnumerable<StorageEvent> WatchAsync(string prefix, long afterRevision, CancellationToken ct) =>
        RelationalWatch.WatchAsync(_broadcaster, prefix, afterRevision, async (last, token) =>
        {
            await using var db = Db();
            // The compaction point and the events are read in one snapshot, so a concurrent compaction either
            // happened before (Expired) or not at all for this read: never a silent gap.
            await PragmasAsync(db, token);
            await using var tx = await db.Database.BeginTransactionAsync(token);
            var compacted = await db.State.AsNoTracking().Select(s => s.CompactedRevision).SingleAsync(token);
            if (last < compacted)
                throw new StorageException(StorageErrorCode.Expired, prefix, "required revision has been compacted", compacted);
            return await RelationalReads.EventsAfterAsync(db, prefix, last, RelationalWatch.EventBatch, token);
        }, ct);

    public ValueTask<long> CurrentRevisionAsync(CancellationToken ct) => ValueTask.FromResult(Volatile.Read(ref _current));

    /// <summary>
    /// Prunes history at or below <paramref name="revision"/>; lists and watches from before it become Expired.
    /// The latest revision's event is always kept.
    /// </summary>
    public async Task CompactAsync(long revision, CancellationToken ct)
    {
        revision = Math.Min(revision, Volatile.Read(ref _current) - 1);
        if (revision <= Volatile.Read(ref _compacted)) return;
        await _writeLock.WaitAsync(ct);
        try
        {
            await using var db = Db();
            await PragmasAsync(db, ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.Events.Where(e => e.Revision <= revision).ExecuteDeleteAsync(ct);
            await db.State.ExecuteUpdateAsync(s => s.SetProperty(x => x.CompactedRevision, revision), ct);
            await tx.CommitAsync(ct);
            Volatile.Write(ref _compacted, revision);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public long CompactedRevision => Volatile.Read(ref _compacted);

    public async ValueTask DisposeAsync()
    {
        _broadcaster.CompleteAll();
        await _ownerLock.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }
}
