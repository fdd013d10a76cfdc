using System.Data.Common;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Relational;
using Microsoft.Data.Sqlite;

namespace ClusterRegistry.Infrastructure.Storage.Embedded;

/// <summary>
/// Leases in the embedded store's file. One process owns that file (its lock), so the lease is always this
/// process's to take; it is kept in the same table as on PostgreSQL so the prober runs the same code on every backend.
/// Stores made before leases existed get the table on first use (the schema made at initialisation has it for newer ones).
/// </summary>
public static class EmbeddedLeaseStore
{
    private const string CreateTable =
        "CREATE TABLE IF NOT EXISTS leases (name TEXT NOT NULL CONSTRAINT PK_leases PRIMARY KEY, holder TEXT NOT NULL, expires_at_ms INTEGER NOT NULL)";

    /// <summary>SQLite's clock in Unix milliseconds (julianday of the Unix epoch is 2440587.5).</summary>
    private const string NowMilliseconds = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

    public static ILeaseStore For(EmbeddedStorage storage)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = storage.DatabasePath, Pooling = true }.ToString();
        var created = 0;
        return new RelationalLeaseStore(async ct =>
        {
            var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(ct);
            await using var pragma = connection.CreateCommand();
            // The store's own writes may hold the file's write lock for a moment; wait rather than fail.
            pragma.CommandText = "PRAGMA busy_timeout=5000;" + (Interlocked.Exchange(ref created, 1) == 0 ? CreateTable : "");
            await pragma.ExecuteNonQueryAsync(ct);
            return (DbConnection)connection;
        }, NowMilliseconds);
    }
}
