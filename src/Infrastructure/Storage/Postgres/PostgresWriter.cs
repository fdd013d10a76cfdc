using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Relational;
using Npgsql;
using NpgsqlTypes;

namespace ClusterRegistry.Infrastructure.Storage.Postgres;

/// <summary>
/// The group committer's own connection: a group of writes is two round trips, whatever its size. The first takes the
/// revision counter row's lock and reads the mod revisions of the group's keys; the preconditions are checked here in
/// code; the second sends every accepted write, the counter update, the NOTIFY and the COMMIT as one pipelined batch.
/// Raw Npgsql rather than EF Core (ADR-024): a change tracker and a compiled query per write cost more CPU than the
/// rest of the write, and EF cannot pipeline the statements of a transaction with its COMMIT. The SQL names the EF
/// model's tables and columns (<see cref="RegistryDbContext"/>); statements are auto-prepared on this connection.
/// </summary>
internal sealed class PostgresWriter : IAsyncDisposable
{
    private const string Lock = "SELECT current_revision FROM store_state WHERE id = 1 FOR UPDATE";
    private const string Find = "SELECT key, mod_revision FROM objects WHERE key = ANY($1)";
    private const string CreateEvent = "INSERT INTO events (revision, key, type, value, prev_value, prev_revision) VALUES ($1, $2, 0, $3, NULL, 0)";
    // The previous value is copied inside the database: it never travels to this process and back.
    private const string ChangeEvent = "INSERT INTO events (revision, key, type, value, prev_value, prev_revision) " +
                                       "SELECT $1, $2, $3, $4, o.value, o.mod_revision FROM objects o WHERE o.key = $2";
    private const string Insert = "INSERT INTO objects (key, value, create_revision, mod_revision, labels) VALUES ($1, $2, $3, $3, $4)";
    private const string Update = "UPDATE objects SET value = $2, mod_revision = $3, labels = $4 WHERE key = $1";
    private const string Delete = "DELETE FROM objects WHERE key = $1";
    private const string Counter = "UPDATE store_state SET current_revision = $1 WHERE id = 1";

    private readonly NpgsqlConnection _connection;
    private bool _inTransaction;

    private PostgresWriter(NpgsqlConnection connection) => _connection = connection;

    /// <summary>Opens the writer's connection (statements auto-prepared: they are the same few for every group).</summary>
    public static async Task<PostgresWriter> OpenAsync(string connectionString, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 16, AutoPrepareMinUsages = 2, Pooling = false };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            return new PostgresWriter(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Begins the group's transaction, waits for the revision counter row's lock (held until commit: writers on every
    /// replica are serialized, so revisions become visible in commit order) and returns the current revision with the
    /// mod revision of each of <paramref name="keys"/> that exists.
    /// </summary>
    public async Task<(long Revision, Dictionary<string, long> ModRevisions)> BeginAsync(string[] keys, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(_connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(Lock));
        // A statement of its own, after the lock: under READ COMMITTED its snapshot is taken once the previous holder
        // has committed, so it sees that holder's writes (one statement joining both would read an older snapshot).
        var find = new NpgsqlBatchCommand(Find);
        find.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = keys });
        batch.BatchCommands.Add(find);
        _inTransaction = true;
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await NextRowsAsync(reader, ct);
        if (!await reader.ReadAsync(ct)) throw new InvalidOperationException("the store_state row is missing");
        var revision = reader.GetInt64(0);
        await reader.NextResultAsync(ct);
        await NextRowsAsync(reader, ct);
        var found = new Dictionary<string, long>(keys.Length, StringComparer.Ordinal);
        while (await reader.ReadAsync(ct)) found[reader.GetString(0)] = reader.GetInt64(1);
        return (revision, found);
    }

    /// <summary>Moves past results without columns (BEGIN), whichever way the driver reports them.</summary>
    private static async Task NextRowsAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        while (reader.FieldCount == 0)
            if (!await reader.NextResultAsync(ct)) throw new InvalidOperationException("a result set is missing");
    }

    /// <summary>One accepted write of the group, already checked: <paramref name="Existed"/> tells create from change.</summary>
    public readonly record struct Staged(string Key, byte[]? Value, string? Labels, long Revision, bool Existed);

    /// <summary>
    /// Writes <paramref name="writes"/> in order (each event before its object change, so the event copies the
    /// previous value), sets the counter to the last revision, notifies the listeners and commits: one round trip and
    /// one WAL flush. Throws if any of it failed; then nothing of it committed.
    /// </summary>
    public async Task CommitAsync(IReadOnlyList<Staged> writes, long revision, string channel, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(_connection);
        foreach (var w in writes)
        {
            if (!w.Existed)
            {
                batch.BatchCommands.Add(Command(CreateEvent, Long(w.Revision), Text(w.Key), Bytes(w.Value)));
                batch.BatchCommands.Add(Command(Insert, Text(w.Key), Bytes(w.Value), Long(w.Revision), Json(w.Labels)));
            }
            else if (w.Value is null)
            {
                batch.BatchCommands.Add(Command(ChangeEvent, Long(w.Revision), Text(w.Key), Int((int)StorageEventType.Deleted), Bytes(null)));
                batch.BatchCommands.Add(Command(Delete, Text(w.Key)));
            }
            else
            {
                batch.BatchCommands.Add(Command(ChangeEvent, Long(w.Revision), Text(w.Key), Int((int)StorageEventType.Modified), Bytes(w.Value)));
                batch.BatchCommands.Add(Command(Update, Text(w.Key), Bytes(w.Value), Long(w.Revision), Json(w.Labels)));
            }
        }
        batch.BatchCommands.Add(Command(Counter, Long(revision)));
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"NOTIFY {channel}"));
        // In the same pipeline: a failed statement makes the server skip the rest, COMMIT included.
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await batch.ExecuteNonQueryAsync(ct);
        _inTransaction = false;
    }

    /// <summary>Ends the group's transaction without keeping any of it (every write refused, or a failure).</summary>
    public async Task RollbackAsync(CancellationToken ct)
    {
        if (!_inTransaction) return;
        await using var rollback = new NpgsqlCommand("ROLLBACK", _connection);
        await rollback.ExecuteNonQueryAsync(ct);
        _inTransaction = false;
    }

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter<long> Long(long v) => new() { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = v };

    private static NpgsqlParameter<int> Int(int v) => new() { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = v };

    private static NpgsqlParameter<string> Text(string v) => new() { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = v };

    private static NpgsqlParameter Bytes(byte[]? v) => new() { NpgsqlDbType = NpgsqlDbType.Bytea, Value = (object?)v ?? DBNull.Value };

    private static NpgsqlParameter Json(string? v) => new() { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = (object?)v ?? DBNull.Value };

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
