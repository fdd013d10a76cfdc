using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Postgres;

namespace ClusterRegistry.Tests.StorageContractTests.Postgres;

/// <summary>The storage contract against a real PostgreSQL: one container for the class, a fresh database per test.</summary>
[Requires(Prerequisite.Docker)]
public sealed class PostgresStorageTests(PostgresFixture postgres) : ObjectStorageContract, IClassFixture<PostgresFixture>
{
    protected override async Task<IObjectStorage> CreateStorageAsync() => await postgres.CreateStorageAsync();

    protected override Task CompactAsync(IObjectStorage storage, long revision) =>
        ((PostgresStorage)storage).CompactAsync(revision, CancellationToken.None);

    /// <summary>Like the embedded store, an overflowing watcher catches up from the event table without ending.</summary>
    protected override bool SlowWatchersCatchUpWithoutEnding => true;
}
