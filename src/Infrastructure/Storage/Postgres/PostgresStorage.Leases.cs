using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Relational;

namespace ClusterRegistry.Infrastructure.Storage.Postgres;

public sealed partial class PostgresStorage
{
    /// <summary>PostgreSQL's clock in Unix milliseconds (clock_timestamp: the time of the statement, not of the transaction).</summary>
    private const string NowMilliseconds = "CAST(extract(epoch FROM clock_timestamp()) * 1000 AS bigint)";

    /// <summary>Leases in this database's <c>leases</c> table (migration HealthProbeLeases), on the store's connection pool.</summary>
    public ILeaseStore Leases() =>
        new RelationalLeaseStore(async ct => await _dataSource.OpenConnectionAsync(ct), NowMilliseconds);
}
