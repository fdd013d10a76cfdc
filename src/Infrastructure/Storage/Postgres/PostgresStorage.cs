using System.Data;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Relational;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ClusterRegistry.Infrastructure.Storage.Postgres;

/// <summary>
/// PostgreSQL storage on the shared relational model. Every write first takes the single revision counter row
/// (<c>SELECT … FOR UPDATE</c>, then one update per group of writes), whose row lock serializes writers until
/// commit: revisions become visible in commit order, so a reader of <c>events WHERE revision &gt; n</c> never skips
/// one. Writes are group-committed (<c>PostgresStorage.GroupCommit.cs</c>): the same transaction writes the object rows
/// and event rows of the group and sends a NOTIFY; each replica LISTENs, reads new events from the table and fans
/// them out, so a lost notification only delays an event (a poll catches up) and never drops it.
/// </summary>
public sealed partial class PostgresStorage : IObjectStorage, IAsyncDisposable
{
    public const string Channel = "clusterregistry_events";

    /// <summary>The <c>application_name</c> of each replica's listener connection in <c>pg_stat_activity</c>.</summary>
    public const string ListenerApplicationName = "clusterregistry-listener";

    private const int EventBatch = RelationalWatch.EventBatch;
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _connectionString;
    private readonly bool _multiplexing;

    /// <summary>The listener's: unpooled (its connection lives as long as it works), named so an operator can find it.</summary>
    private readonly string _listenerConnectionString;
    private readonly DbContextOptions<PostgresDbContext> _options;
    private readonly WatchBroadcaster _broadcaster = new();
    private readonly Observability.StorageFailureLog _listenerFailures;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _listener;
    private long _published;

    private PostgresStorage(NpgsqlDataSource dataSource, string connectionString, ILogger logger, long published)
    {
        _dataSource = dataSource;
        _connectionString = connectionString;
        _multiplexing = new NpgsqlConnectionStringBuilder(connectionString).Multiplexing;
        _listenerConnectionString = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            ApplicationName = ListenerApplicationName,
        }.ConnectionString;
        _listenerFailures = new Observability.StorageFailureLog("postgres", logger);
        _options = new DbContextOptionsBuilder<PostgresDbContext>()
            .UseNpgsql(dataSource, o => o.CommandTimeout(5))
            .Options;
        _published = published;
        _listener = Task.Run(() => ListenAsync(_stop.Token));
        _committer = new GroupCommitter<PendingWrite>(CommitGroupAsync);
    }

    public string Name => "postgres";

    /// <summary>Connects, applies pending migrations, and starts listening for events.</summary>
    public static async Task<PostgresStorage> OpenAsync(string connectionString, ILogger logger, bool migrate = true, CancellationToken ct = default)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // Fail fast when the database is unreachable; never hang a request for minutes.
        if (!connectionString.Contains("Timeout", StringComparison.OrdinalIgnoreCase)) builder.Timeout = 3;
        if (!connectionString.Contains("Command Timeout", StringComparison.OrdinalIgnoreCase)) builder.CommandTimeout = 5;
        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        await using (var db = new PostgresDbContext(new DbContextOptionsBuilder<PostgresDbContext>().UseNpgsql(dataSource).Options))
        {
            if (migrate) await db.Database.MigrateAsync(ct);
            if (!await db.State.AnyAsync(ct))
            {
                // Two replicas may race to seed the counter; the primary key lets only one succeed.
                await db.Database.ExecuteSqlRawAsync(
                    "INSERT INTO store_state (id, current_revision, compacted_revision) VALUES (1, 1, 0) ON CONFLICT (id) DO NOTHING", ct);
            }
            var current = await db.State.AsNoTracking().Select(s => s.CurrentRevision).SingleAsync(ct);
            return new PostgresStorage(dataSource, builder.ConnectionString, logger, current);
        }
    }

    /// <summary>Applies migrations only (<c>clusterregistry migrate</c>).</summary>
    public static async Task MigrateAsync(string connectionString, CancellationToken ct)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var db = new PostgresDbContext(new DbContextOptionsBuilder<PostgresDbContext>().UseNpgsql(dataSource).Options);
        await db.Database.MigrateAsync(ct);
    }

    private PostgresDbContext Db() => new(_options);

    private static StorageException Translate(Exception e, string key) => e switch
    {
        StorageException s => s,
        OperationCanceledException => new StorageException(StorageErrorCode.Timeout, key, "the database did not answer in time", inner: e),
        _ when TimedOut(e) is { } timeout => new StorageException(StorageErrorCode.Timeout, key, timeout.Message, inner: e),
        _ => new StorageException(StorageErrorCode.Unreachable, key, e.Message, inner: e),
    };

    /// <summary>
    /// The outermost Npgsql or timeout exception of a chain that ends in a timeout, however it is wrapped (Npgsql
    /// wraps its own; EF's execution strategy wraps those again as "likely due to a transient failure"); else null.
    /// </summary>
    private static Exception? TimedOut(Exception e)
    {
        Exception? named = null;
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (named is null && x is NpgsqlException or TimeoutException) named = x;
            if (x is TimeoutException) return named;
        }
        return null;
    }

    private static bool IsDatabaseError(Exception e) =>
        e is NpgsqlException or DbUpdateException or InvalidOperationException { InnerException: NpgsqlException } or TimeoutException
        || (e is InvalidOperationException && e.Message.Contains("transient", StringComparison.OrdinalIgnoreCase));

    public async ValueTask<StoredObject?> GetAsync(string key, CancellationToken ct)
    {
        try
        {
            await using var db = Db();
            return await RelationalReads.GetAsync(db, key, ct);
        }
        catch (Exception e) when (IsDatabaseError(e)) { throw Translate(e, key); }
    }

    /// <summary>No cache: the latest state is at least that new.</summary>
    public ValueTask<StoredObject?> GetAsync(string key, long minRevision, CancellationToken ct) => GetAsync(key, ct);

    public async ValueTask<StoredPage> ListAsync(string prefix, ListRange range, CancellationToken ct)
    {
        try
        {
            await using var db = Db();
            // One snapshot for the counter, the rows and the history.
            await using var tx = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
            return await RelationalReads.ListAtRevisionAsync(db, prefix, range, ct, PostgresLabelQuery.Narrow);
        }
        catch (Exception e) when (IsDatabaseError(e)) { throw Translate(e, prefix); }
    }

    public ValueTask<long> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken ct) => WriteAsync(key, null, value.ToArray(), ct);

    public ValueTask<long> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedRevision, CancellationToken ct) =>
        WriteAsync(key, expectedRevision, value.ToArray(), ct);

    public ValueTask<long> DeleteAsync(string key, long expectedRevision, CancellationToken ct) => WriteAsync(key, expectedRevision, null, ct);

    public IAsyncEnumerable<StorageEvent> WatchAsync(string prefix, long afterRevision, CancellationToken ct) => Watch(prefix, afterRevision, progress: false, ct);

    public IAsyncEnumerable<StorageEvent> WatchWithProgressAsync(string prefix, long afterRevision, CancellationToken ct) => Watch(prefix, afterRevision, progress: true, ct);

    private IAsyncEnumerable<StorageEvent> Watch(string prefix, long afterRevision, bool progress, CancellationToken ct) =>
        RelationalWatch.WatchAsync(_broadcaster, prefix, afterRevision, async (last, token) =>
        {
            try
            {
                await using var db = Db();
                await using var tx = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, token);
                var compacted = await db.State.AsNoTracking().Select(s => s.CompactedRevision).SingleAsync(token);
                if (last < compacted)
                    throw new StorageException(StorageErrorCode.Expired, prefix, "required revision has been compacted", compacted);
                return await RelationalReads.EventsAfterAsync(db, prefix, last, RelationalWatch.EventBatch, token);
            }
            catch (Exception e) when (IsDatabaseError(e)) { throw Translate(e, prefix); }
        }, ct, progress);

    /// <summary>
    /// The replica's one upstream, on one dedicated connection (not the pool's): LISTEN for notifications (and poll every
    /// second as a safety net), read the events after the last published revision on that same connection, publish
    /// them in order. After losing the connection (an outage, a terminated backend) it opens a new one, LISTENs again
    /// and only then reads what was committed since the last published revision, so nothing written meanwhile is missed.
    /// </summary>
    private async Task ListenAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(_listenerConnectionString);
                await connection.OpenAsync(ct);
                // Set by notifications that arrive while the connection reads events: the next read must not wait for them.
                var notified = 0;
                connection.Notification += (_, _) => Volatile.Write(ref notified, 1);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                    await listen.ExecuteNonQueryAsync(ct);
                await using var db = new PostgresDbContext(new DbContextOptionsBuilder<PostgresDbContext>()
                    .UseNpgsql(connection, o => o.CommandTimeout(5)).Options);
                while (!ct.IsCancellationRequested)
                {
                    Volatile.Write(ref notified, 0);
                    await PublishNewAsync(db, ct);
                    // WaitAsync delivers notifications; the timeout doubles as the poll and a liveness probe.
                    if (Volatile.Read(ref notified) == 0) await connection.WaitAsync(TimeSpan.FromSeconds(1), ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The listener is the first to see the database go away (it is always reading). The pool's idle
                // connections went with it: drop them now, so the next request opens a new connection and fails or
                // succeeds on the database's present state instead of failing once per dead pooled connection.
                if (ConnectionLost(e)) _dataSource.Clear();
                // Retried every second while PostgreSQL is down: folded like every other storage failure, one line
                // per cause (with the count it stood for) instead of a line a second.
                _listenerFailures.Failed("event listener (retrying)",
                    new StorageException(StorageErrorCode.Unreachable, "", $"lost its connection: {e.Message}", inner: e));
                try { await Task.Delay(TimeSpan.FromSeconds(1), ct); } catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>A failure of the connection itself (I/O, refused, the server shutting down), not of a statement.</summary>
    private static bool ConnectionLost(Exception e) =>
        e is NpgsqlException and not PostgresException
        || e is PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow };

    private async Task PublishNewAsync(PostgresDbContext db, CancellationToken ct)
    {
        while (true)
        {
            List<EventRow> batch;
            // One snapshot for the compaction point and the events: a compaction that removed events this listener
            // had not published yet cuts every live watcher loose, so each goes back to the table and gets Expired
            // there, instead of following on past a silent gap.
            await using (var tx = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct))
            {
                var compacted = await db.State.AsNoTracking().Select(s => s.CompactedRevision).SingleAsync(ct);
                if (Volatile.Read(ref _published) < compacted)
                {
                    _broadcaster.CutAll();
                    Volatile.Write(ref _published, compacted);
                }
                batch = await RelationalReads.EventsAfterAsync(db, "", Volatile.Read(ref _published), EventBatch, ct);
                await tx.CommitAsync(ct);
            }
            foreach (var e in batch)
            {
                _broadcaster.Publish(RelationalReads.ToEvent(e));
                Volatile.Write(ref _published, e.Revision);
            }
            if (batch.Count < EventBatch) return;
        }
    }

    /// <summary>
    /// The counter as committed now (read committed: every write acknowledged before this read began is counted). A
    /// prepared command on a pooled connection, not a DbContext and a LINQ query: every burst of consistent reads
    /// runs it, and EF's query pipeline cost several times the statement itself (ADR-032).
    /// </summary>
    public async ValueTask<long> CurrentRevisionAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand(CurrentRevisionSql, connection);
            // Prepared once per physical connection; Npgsql finds it again by its text on the next use of that connection.
            // Npgsql refuses explicit preparation on a multiplexing data source: there the statement runs unprepared.
            if (!_multiplexing) await command.PrepareAsync(ct);
            return await command.ExecuteScalarAsync(ct) is long revision
                ? revision
                : throw new StorageException(StorageErrorCode.Unreachable, "", "the store_state row is missing");
        }
        catch (Exception e) when (IsDatabaseError(e)) { throw Translate(e, ""); }
    }

    private const string CurrentRevisionSql = "SELECT current_revision FROM store_state WHERE id = 1";

    /// <summary>False: other replicas write to the same database, so the revision is read from it.</summary>
    public bool RevisionInMemory => false;

    /// <summary>Prunes events at or below <paramref name="revision"/> (never the latest); older reads and watches become Expired.</summary>
    /// <returns>The store's compaction point after the call, which may be below <paramref name="revision"/> (the latest
    /// event is kept) or above it (another replica compacted further): what a watch cache must forget up to.</returns>
    public async Task<long> CompactAsync(long revision, CancellationToken ct)
    {
        await using var db = Db();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var current = await db.State.AsNoTracking().Select(s => s.CurrentRevision).SingleAsync(ct);
        revision = Math.Min(revision, current - 1);
        var compacted = await db.State.AsNoTracking().Select(s => s.CompactedRevision).SingleAsync(ct);
        if (revision <= compacted) return compacted;
        await db.State.ExecuteUpdateAsync(s => s.SetProperty(x => x.CompactedRevision, revision), ct);
        await db.Events.Where(e => e.Revision <= revision).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);
        return revision;
    }

    public async ValueTask DisposeAsync()
    {
        await StopCommittingAsync();
        await _stop.CancelAsync();
        try { await _listener; } catch (OperationCanceledException) { }
        _broadcaster.CompleteAll();
        await _dataSource.DisposeAsync();
        _stop.Dispose();
    }
}
