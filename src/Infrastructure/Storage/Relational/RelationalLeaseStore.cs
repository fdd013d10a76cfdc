using System.Data.Common;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Infrastructure.Storage.Relational;

/// <summary>
/// Leases as rows of the <c>leases</c> table (<see cref="LeaseRow"/>), taken by one compare-and-set upsert: the row
/// is written only when it is absent, expired or already ours, and the database's clock decides expiry, so replicas
/// with skewed clocks still agree. SQLite and PostgreSQL both run the same statement; only "now" is spelled per dialect.
/// </summary>
public sealed class RelationalLeaseStore(Func<CancellationToken, ValueTask<DbConnection>> open, string nowMilliseconds) : ILeaseStore
{
    public async ValueTask<bool> TryAcquireAsync(string name, string holder, TimeSpan duration, CancellationToken ct)
    {
        try
        {
            await using var connection = await open(ct);
            await using var command = connection.CreateCommand();
            command.CommandText =
                $"INSERT INTO leases (name, holder, expires_at_ms) VALUES (@name, @holder, {nowMilliseconds} + @ms) " +
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms " +
                $"WHERE leases.holder = excluded.holder OR leases.expires_at_ms < {nowMilliseconds} " +
                "RETURNING holder";
            Add(command, "name", name);
            Add(command, "holder", holder);
            Add(command, "ms", (long)duration.TotalMilliseconds);
            return await command.ExecuteScalarAsync(ct) is string;
        }
        catch (DbException e)
        {
            throw new StorageException(StorageErrorCode.Unreachable, "leases/" + name, "lease " + name + ": " + e.Message, inner: e);
        }
    }

    public async ValueTask ReleaseAsync(string name, string holder, CancellationToken ct)
    {
        try
        {
            await using var connection = await open(ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM leases WHERE name = @name AND holder = @holder";
            Add(command, "name", name);
            Add(command, "holder", holder);
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (DbException e)
        {
            throw new StorageException(StorageErrorCode.Unreachable, "leases/" + name, "lease " + name + ": " + e.Message, inner: e);
        }
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}
