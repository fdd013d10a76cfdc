using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Relational;
using Microsoft.Data.Sqlite;

namespace ClusterRegistry.Infrastructure.Storage.Embedded;

/// <summary>
/// The embedded store's schema and reads in plain SQL on Microsoft.Data.Sqlite. The store used EF Core for these
/// (the writes left it in ADR-020); with the watch cache in front they run at start-up and now and then, yet EF Core
/// cost the process about 20 MiB that never came back: its assemblies, the code JIT-compiled for its model and query
/// pipeline, and the service provider and caches it keeps. See docs/decisions/ADR-035-embedded-store-without-ef-core.md.
/// The schema is exactly what EF Core's EnsureCreated made for <see cref="RegistryDbContext"/>, so files made by
/// either open in both; the queries are the ones EF Core generated (SQLite compares TEXT keys byte-wise, BINARY).
/// </summary>
internal static class EmbeddedSql
{
    /// <summary>EnsureCreated's DDL for the model, verbatim (sqlite_master of a store it made).</summary>
    public const string Schema = """
        CREATE TABLE "events" (
            "revision" INTEGER NOT NULL CONSTRAINT "PK_events" PRIMARY KEY,
            "key" TEXT NOT NULL,
            "type" INTEGER NOT NULL,
            "value" BLOB NULL,
            "prev_value" BLOB NULL,
            "prev_revision" INTEGER NOT NULL
        );
        CREATE TABLE "leases" (
            "name" TEXT NOT NULL CONSTRAINT "PK_leases" PRIMARY KEY,
            "holder" TEXT NOT NULL,
            "expires_at_ms" INTEGER NOT NULL
        );
        CREATE TABLE "objects" (
            "key" TEXT NOT NULL CONSTRAINT "PK_objects" PRIMARY KEY,
            "value" BLOB NOT NULL,
            "create_revision" INTEGER NOT NULL,
            "mod_revision" INTEGER NOT NULL,
            "labels" TEXT NULL
        );
        CREATE TABLE "store_state" (
            "id" INTEGER NOT NULL CONSTRAINT "PK_store_state" PRIMARY KEY,
            "current_revision" INTEGER NOT NULL,
            "compacted_revision" INTEGER NOT NULL
        );
        CREATE INDEX "IX_events_key_revision" ON "events" ("key", "revision");
        INSERT INTO store_state (id, current_revision, compacted_revision) VALUES (1, 1, 0);
        """;

    public static SqliteCommand Command(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    public static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken ct, SqliteTransaction? transaction = null)
    {
        await using var command = Command(connection, sql, transaction);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The revision counters; null when store_state is empty. More than one row is a damaged store, as Single says.</summary>
    public static async Task<StoreStateRow?> StateAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken ct)
    {
        await using var command = Command(connection, "SELECT current_revision, compacted_revision FROM store_state LIMIT 2", transaction);
        await using var rows = await command.ExecuteReaderAsync(ct);
        if (!await rows.ReadAsync(ct)) return null;
        var state = new StoreStateRow { CurrentRevision = rows.GetInt64(0), CompactedRevision = rows.GetInt64(1) };
        if (await rows.ReadAsync(ct)) throw new InvalidOperationException("store_state holds more than one row");
        return state;
    }

    public static async Task<StoreStateRow> RequiredStateAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken ct) =>
        await StateAsync(connection, transaction, ct) ?? throw new InvalidOperationException("store_state holds no row");

    public static async Task<StoredObject?> GetAsync(SqliteConnection connection, string key, CancellationToken ct)
    {
        await using var command = Command(connection, "SELECT key, value, mod_revision FROM objects WHERE key = $key LIMIT 1");
        command.Parameters.AddWithValue("$key", key);
        await using var rows = await command.ExecuteReaderAsync(ct);
        return await rows.ReadAsync(ct) ? new StoredObject(rows.GetString(0), rows.GetFieldValue<byte[]>(1), rows.GetInt64(2)) : null;
    }

    /// <summary>
    /// <see cref="RelationalReads.ListAtRevisionAsync"/> in the caller's read transaction: too new is TooLargeRevision,
    /// below the compaction point is Expired; keys changed after the revision are rolled back to the previous value of
    /// their first later event.
    /// </summary>
    public static async Task<StoredPage> ListAtRevisionAsync(SqliteConnection connection, SqliteTransaction transaction, string prefix,
        ListRange range, CancellationToken ct)
    {
        var state = await RequiredStateAsync(connection, transaction, ct);
        var revision = range.Revision == 0 ? state.CurrentRevision : range.Revision;
        if (revision > state.CurrentRevision)
            throw new StorageException(StorageErrorCode.TooLargeRevision, prefix, revision.ToString(), state.CurrentRevision);
        if (revision < state.CompactedRevision)
            throw new StorageException(StorageErrorCode.Expired, prefix, "required revision has been compacted", state.CompactedRevision);

        var after = range.StartAfterKey ?? "";
        var end = RelationalReads.PrefixEnd(prefix);
        const string InRange = "key >= $prefix AND key < $end AND key > $after";
        if (revision == state.CurrentRevision && range.Filter is null && range.Limit > 0)
        {
            // The common page of the latest state: let the database do the limit and count the rest.
            var page = await ObjectsAsync(connection, transaction,
                $"SELECT key, value, mod_revision FROM objects WHERE {InRange} ORDER BY key LIMIT $limit", prefix, end, after, range.Limit + 1, ct);
            if (page.Count <= range.Limit) return new StoredPage(page, revision, false, null);
            page.RemoveAt(page.Count - 1);
            await using var count = Command(connection, "SELECT COUNT(*) FROM objects WHERE key >= $prefix AND key < $end AND key > $after", transaction);
            Bind(count, prefix, end, page[^1].Key);
            var remaining = Convert.ToInt64(await count.ExecuteScalarAsync(ct));
            return new StoredPage(page, revision, true, remaining);
        }
        var rows = await ObjectsAsync(connection, transaction,
            $"SELECT key, value, mod_revision FROM objects WHERE {InRange} ORDER BY key", prefix, end, after, null, ct);
        IEnumerable<StoredObject> listed = rows;
        if (revision < state.CurrentRevision)
        {
            var undone = new Dictionary<string, (byte[]? Value, long Revision)>(StringComparer.Ordinal);
            await using (var later = Command(connection,
                $"SELECT key, prev_value, prev_revision FROM events WHERE revision > $revision AND {InRange} ORDER BY revision", transaction))
            {
                Bind(later, prefix, end, after);
                later.Parameters.AddWithValue("$revision", revision);
                await using var events = await later.ExecuteReaderAsync(ct);
                while (await events.ReadAsync(ct))
                    undone.TryAdd(events.GetString(0), (events.IsDBNull(1) ? null : events.GetFieldValue<byte[]>(1), events.GetInt64(2)));
            }
            var byKey = rows.Where(r => !undone.ContainsKey(r.Key)).ToDictionary(r => r.Key, StringComparer.Ordinal);
            foreach (var (key, prev) in undone)
            {
                if (prev.Value is not null) byKey[key] = new StoredObject(key, prev.Value, prev.Revision);
            }
            listed = byKey.Values.OrderBy(o => o.Key, StringComparer.Ordinal);
        }
        return RelationalReads.Page(listed, range, revision);
    }

    /// <summary>Up to <paramref name="batch"/> events under <paramref name="prefix"/> after <paramref name="after"/>, oldest first.</summary>
    public static async Task<List<EventRow>> EventsAfterAsync(SqliteConnection connection, SqliteTransaction transaction, string prefix,
        long after, int batch, CancellationToken ct)
    {
        await using var command = Command(connection,
            "SELECT revision, key, type, value, prev_value, prev_revision FROM events WHERE revision > $revision AND key >= $prefix AND key < $end ORDER BY revision LIMIT $limit",
            transaction);
        command.Parameters.AddWithValue("$revision", after);
        command.Parameters.AddWithValue("$prefix", prefix);
        command.Parameters.AddWithValue("$end", RelationalReads.PrefixEnd(prefix));
        command.Parameters.AddWithValue("$limit", batch);
        await using var rows = await command.ExecuteReaderAsync(ct);
        var events = new List<EventRow>();
        while (await rows.ReadAsync(ct))
        {
            events.Add(new EventRow
            {
                Revision = rows.GetInt64(0),
                Key = rows.GetString(1),
                Type = rows.GetInt32(2),
                Value = rows.IsDBNull(3) ? null : rows.GetFieldValue<byte[]>(3),
                PrevValue = rows.IsDBNull(4) ? null : rows.GetFieldValue<byte[]>(4),
                PrevRevision = rows.GetInt64(5),
            });
        }
        return events;
    }

    private static async Task<List<StoredObject>> ObjectsAsync(SqliteConnection connection, SqliteTransaction transaction, string sql,
        string prefix, string end, string after, int? limit, CancellationToken ct)
    {
        await using var command = Command(connection, sql, transaction);
        Bind(command, prefix, end, after);
        if (limit is { } n) command.Parameters.AddWithValue("$limit", n);
        await using var rows = await command.ExecuteReaderAsync(ct);
        var objects = new List<StoredObject>();
        while (await rows.ReadAsync(ct)) objects.Add(new StoredObject(rows.GetString(0), rows.GetFieldValue<byte[]>(1), rows.GetInt64(2)));
        return objects;
    }

    private static void Bind(SqliteCommand command, string prefix, string end, string after)
    {
        command.Parameters.AddWithValue("$prefix", prefix);
        command.Parameters.AddWithValue("$end", end);
        command.Parameters.AddWithValue("$after", after);
    }
}
