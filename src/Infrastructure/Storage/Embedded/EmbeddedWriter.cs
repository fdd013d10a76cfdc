using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Relational;
using Microsoft.Data.Sqlite;

namespace ClusterRegistry.Infrastructure.Storage.Embedded;

/// <summary>
/// The group committer's own connection, with its statements prepared once: a write is a lookup by primary key, an
/// insert, update or delete of the object row, and an event insert, without a query compiled or a change tracker per
/// write (EF Core cost more CPU per write than the rest of the request). The schema is the EF model's
/// (<see cref="RegistryDbContext"/>); reads, compaction and start-up checks are plain SQL too (<see cref="EmbeddedSql"/>). See
/// docs/decisions/ADR-020-perfwrite-write-path.md.
/// </summary>
internal sealed class EmbeddedWriter : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _find;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _update;
    private readonly SqliteCommand _delete;
    private readonly SqliteCommand _event;
    private readonly SqliteCommand _revision;
    private readonly SqliteCommand _begin;
    private readonly SqliteCommand _commit;
    private readonly SqliteCommand _rollback;

    public EmbeddedWriter(string connectionString)
    {
        _connection = new SqliteConnection(connectionString);
        try
        {
            _connection.Open();
            using (var pragmas = _connection.CreateCommand())
            {
                // Durability: a write acknowledged to a client survives a crash of the process or the machine.
                pragmas.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;";
                pragmas.ExecuteNonQuery();
            }
            _find = Command("SELECT mod_revision, value FROM objects WHERE key = $key", "$key");
            _insert = Command("INSERT INTO objects (key, value, create_revision, mod_revision, labels) VALUES ($key, $value, $revision, $revision, $labels)",
                "$key", "$value", "$revision", "$labels");
            _update = Command("UPDATE objects SET value = $value, mod_revision = $revision, labels = $labels WHERE key = $key",
                "$key", "$value", "$revision", "$labels");
            _delete = Command("DELETE FROM objects WHERE key = $key", "$key");
            _event = Command("INSERT INTO events (revision, key, type, value, prev_value, prev_revision) VALUES ($revision, $key, $type, $value, $prev, $prevRevision)",
                "$revision", "$key", "$type", "$value", "$prev", "$prevRevision");
            _revision = Command("UPDATE store_state SET current_revision = $revision WHERE id = 1", "$revision");
            // The transaction is run by hand rather than through SqliteTransaction: after a failed COMMIT SQLite may
            // already have rolled back, and only the connection's autocommit state tells whether a ROLLBACK is due.
            _begin = Command("BEGIN IMMEDIATE");
            _commit = Command("COMMIT");
            _rollback = Command("ROLLBACK");
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    private SqliteCommand Command(string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var p in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = p });
        return command;
    }

    /// <summary>Starts the group's transaction (BEGIN IMMEDIATE: the write lock is taken now, not at the first write).</summary>
    public void Begin() => _begin.ExecuteNonQuery();

    /// <summary>
    /// Checks one write's precondition against the state the group's earlier writes left and, if it holds, writes the
    /// object row and its event at <paramref name="revision"/>. Throws the refusal (KeyExists, KeyNotFound, Conflict)
    /// before writing anything.
    /// </summary>
    public StorageEvent Write(string key, long? expected, byte[]? value, long revision)
    {
        long? current = null;
        byte[]? prev = null;
        _find.Parameters[0].Value = key;
        using (var row = _find.ExecuteReader())
        {
            if (row.Read())
            {
                current = row.GetInt64(0);
                // The old value is the event's previous state; a create finds none (or is refused).
                if (expected is not null) prev = (byte[])row.GetValue(1);
            }
        }
        RelationalWrites.Check(key, expected, current);

        StorageEventType type;
        if (current is null)
        {
            Run(_insert, key, value!, revision, RelationalWrites.LabelsOf(value!));
            type = StorageEventType.Added;
        }
        else if (value is null)
        {
            _delete.Parameters[0].Value = key;
            _delete.ExecuteNonQuery();
            type = StorageEventType.Deleted;
        }
        else
        {
            Run(_update, key, value, revision, RelationalWrites.LabelsOf(value));
            type = StorageEventType.Modified;
        }
        var p = _event.Parameters;
        p[0].Value = revision;
        p[1].Value = key;
        p[2].Value = (int)type;
        p[3].Value = (object?)value ?? DBNull.Value;
        p[4].Value = (object?)prev ?? DBNull.Value;
        p[5].Value = current ?? 0;
        _event.ExecuteNonQuery();
        return new StorageEvent(type, key, RelationalReads.Optional(value), RelationalReads.Optional(prev), revision);
    }

    private static void Run(SqliteCommand command, string key, byte[] value, long revision, string? labels)
    {
        var p = command.Parameters;
        p[0].Value = key;
        p[1].Value = value;
        p[2].Value = revision;
        p[3].Value = (object?)labels ?? DBNull.Value;
        command.ExecuteNonQuery();
    }

    /// <summary>Records the group's last revision and commits: one fsync of the WAL (synchronous=FULL).</summary>
    public void Commit(long revision)
    {
        _revision.Parameters[0].Value = revision;
        _revision.ExecuteNonQuery();
        _commit.ExecuteNonQuery();
    }

    /// <summary>
    /// Ends the group's transaction without keeping any of it (a group whose writes were all refused, or one that
    /// failed), unless SQLite has already rolled it back.
    /// </summary>
    public void Rollback()
    {
        if (SQLitePCL.raw.sqlite3_get_autocommit(_connection.Handle) == 0) _rollback.ExecuteNonQuery();
    }

    public void Dispose()
    {
        foreach (var c in new[] { _find, _insert, _update, _delete, _event, _revision, _begin, _commit, _rollback }) c?.Dispose();
        _connection.Dispose();
    }
}
