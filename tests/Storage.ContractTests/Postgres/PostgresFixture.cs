using ClusterRegistry.Infrastructure.Storage.Postgres;
using DotNet.Testcontainers.Containers;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ClusterRegistry.Tests.StorageContractTests.Postgres;

/// <summary>
/// One PostgreSQL 15 in Docker (<see cref="StoreContainers"/>) for a test class; each store gets a database of its own.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private IContainer? _container;

    public IContainer Container => _container ?? throw new InvalidOperationException("postgres is not started");

    public string ConnectionString(string database = "postgres") =>
        $"Host={Container.Hostname};Port={Container.GetMappedPublicPort(StoreContainers.PostgresPort)};Username=postgres;Password=postgres;Database={database};Pooling=true";

    public async Task InitializeAsync()
    {
        _container = await StoreContainers.StartAsync(StoreContainers.Postgres("postgres")
            .WithPortBinding(StoreContainers.PostgresPort, assignRandomHostPort: true)
            .Build());
        // The official image restarts once after initialization; wait until it accepts queries.
        for (var i = 0; ; i++)
        {
            try
            {
                await using var c = new NpgsqlConnection(ConnectionString());
                await c.OpenAsync();
                break;
            }
            catch (NpgsqlException) when (i < 50)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>A fresh empty database, migrated and opened as a store.</summary>
    public async Task<PostgresStorage> CreateStorageAsync() =>
        await PostgresStorage.OpenAsync(await CreateDatabaseAsync(), NullLogger.Instance);

    /// <summary>A fresh empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var database = "t" + Guid.NewGuid().ToString("N")[..16];
        await using (var c = new NpgsqlConnection(ConnectionString()))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {database}", c);
            await cmd.ExecuteNonQueryAsync();
        }
        return ConnectionString(database);
    }

    public async Task DisposeAsync()
    {
        if (_container is not null) await _container.DisposeAsync();
    }
}
