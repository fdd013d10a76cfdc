using ClusterRegistry.Infrastructure.Storage.Postgres;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Images;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ClusterRegistry.Tests.StorageContractTests.Postgres;

/// <summary>
/// One PostgreSQL 15 in Docker (Testcontainers) for a test class; each store gets a database of its own. The image is
/// <c>CLUSTERREGISTRY_POSTGRES_IMAGE</c>, by default the locally built <c>clusterregistry-test/postgres:latest</c>
/// (.ci/docker.sh); with registry access <c>postgres:15</c> works too (POSTGRES_PASSWORD is set for it).
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string ImageVariable = "CLUSTERREGISTRY_POSTGRES_IMAGE";
    public const string LocalImage = "clusterregistry-test/postgres:latest";
    private const int Port = 5432;
    private IContainer? _container;

    static PostgresFixture() => Etcd.DockerEnvironment.Configure();

    public IContainer Container => _container ?? throw new InvalidOperationException("postgres is not started");

    public string ConnectionString(string database = "postgres") =>
        $"Host={Container.Hostname};Port={Container.GetMappedPublicPort(Port)};Username=postgres;Password=postgres;Database={database};Pooling=true";

    public async Task InitializeAsync()
    {
        var image = Environment.GetEnvironmentVariable(ImageVariable) is { Length: > 0 } configured ? configured : LocalImage;
        var local = image.StartsWith("clusterregistry-test/", StringComparison.Ordinal);
        _container = new ContainerBuilder(image)
            .WithImagePullPolicy(local ? PullPolicy.Never : PullPolicy.Missing)
            .WithLabel("clusterregistry.test", "postgres")
            .WithEnvironment("POSTGRES_PASSWORD", "postgres")
            .WithPortBinding(Port, assignRandomHostPort: true)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("database system is ready to accept connections"))
            .Build();
        try
        {
            using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await _container.StartAsync(startup.Token);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"could not start PostgreSQL from image '{image}' ({e.GetType().Name}: {e.Message}). Start Docker and build the local images with .ci/docker.sh, or set {ImageVariable}.", e);
        }
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
    public async Task<PostgresStorage> CreateStorageAsync()
    {
        var database = "t" + Guid.NewGuid().ToString("N")[..16];
        await using (var c = new NpgsqlConnection(ConnectionString()))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {database}", c);
            await cmd.ExecuteNonQueryAsync();
        }
        return await PostgresStorage.OpenAsync(ConnectionString(database), NullLogger.Instance);
    }

    public async Task DisposeAsync()
    {
        if (_container is not null) await _container.DisposeAsync();
    }
}
