using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Images;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>
/// A PostgreSQL 15 container for end-to-end tests, on a fixed host port so it can be restarted under a running server.
/// Image: <c>CLUSTERREGISTRY_POSTGRES_IMAGE</c>, default the locally built <c>clusterregistry-test/postgres:latest</c>
/// (.ci/docker.sh); <c>postgres:15</c> works where a registry is reachable.
/// </summary>
public sealed class PostgresContainer : IAsyncLifetime
{
    private IContainer? _container;
    public int HostPort { get; } = ServerProcess.FreePort();

    public string ConnectionString => $"Host=127.0.0.1;Port={HostPort};Username=postgres;Password=postgres;Database=postgres";

    /// <summary>The server flags that select this database.</summary>
    public string[] ServerArgs => ["--storage-backend", "postgres", "--postgres-connection-string", ConnectionString];

    public async Task InitializeAsync()
    {
        foreach (var (name, value) in new[] { ("DOCKER_API_VERSION", "1.41"), ("TESTCONTAINERS_RYUK_DISABLED", "true"), ("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1") })
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name))) Environment.SetEnvironmentVariable(name, value);
        var image = Environment.GetEnvironmentVariable("CLUSTERREGISTRY_POSTGRES_IMAGE") is { Length: > 0 } configured ? configured : "clusterregistry-test/postgres:latest";
        _container = new ContainerBuilder(image)
            .WithImagePullPolicy(image.StartsWith("clusterregistry-test/", StringComparison.Ordinal) ? PullPolicy.Never : PullPolicy.Missing)
            .WithLabel("clusterregistry.test", "postgres-e2e")
            .WithEnvironment("POSTGRES_PASSWORD", "postgres")
            .WithPortBinding(HostPort, 5432)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("database system is ready to accept connections"))
            .Build();
        await StartAsync();
    }

    public async Task StartAsync()
    {
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await _container!.StartAsync(startup.Token);
        // Wait until it accepts TCP connections on the fixed port (the official image restarts once after init).
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var tcp = new System.Net.Sockets.TcpClient();
                await tcp.ConnectAsync("127.0.0.1", HostPort);
                await Task.Delay(300);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(200);
            }
        }
    }

    public Task StopAsync() => _container!.StopAsync();

    public async Task DisposeAsync()
    {
        if (_container is not null) await _container.DisposeAsync();
    }
}
