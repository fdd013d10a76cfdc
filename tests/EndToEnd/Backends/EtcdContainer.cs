using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Images;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>
/// A single etcd member for end-to-end tests, on a fixed host port so it can be stopped and started under a running
/// server. Image: <c>CLUSTERREGISTRY_ETCD_IMAGE</c>, default the locally built <c>clusterregistry-test/etcd:latest</c>.
/// </summary>
public sealed class EtcdContainer : IAsyncLifetime
{
    private IContainer? _container;
    public int HostPort { get; } = ServerProcess.FreePort();
    public string Endpoint => $"http://127.0.0.1:{HostPort}";
    public string Prefix { get; } = "/registry/e2e-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The server flags that select this etcd.</summary>
    public string[] ServerArgs => ["--storage-backend", "etcd3", "--etcd-servers", Endpoint, "--etcd-prefix", Prefix];

    public async Task InitializeAsync()
    {
        foreach (var (name, value) in new[] { ("DOCKER_API_VERSION", "1.41"), ("TESTCONTAINERS_RYUK_DISABLED", "true"), ("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1") })
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name))) Environment.SetEnvironmentVariable(name, value);
        var image = Environment.GetEnvironmentVariable("CLUSTERREGISTRY_ETCD_IMAGE") is { Length: > 0 } configured ? configured : "clusterregistry-test/etcd:latest";
        _container = new ContainerBuilder(image)
            .WithImagePullPolicy(image.StartsWith("clusterregistry-test/", StringComparison.Ordinal) ? PullPolicy.Never : PullPolicy.Missing)
            .WithLabel("clusterregistry.test", "etcd-e2e")
            .WithEntrypoint("etcd")
            .WithCommand("--name=etcd0", "--data-dir=/var/lib/etcd-e2e", "--listen-client-urls=http://0.0.0.0:2379",
                "--advertise-client-urls=http://127.0.0.1:2379", "--listen-peer-urls=http://127.0.0.1:2380",
                "--initial-advertise-peer-urls=http://127.0.0.1:2380", "--initial-cluster=etcd0=http://127.0.0.1:2380")
            .WithPortBinding(HostPort, 2379)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("ready to serve client requests"))
            .Build();
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await _container.StartAsync(startup.Token);
    }

    public IContainer Container => _container!;

    public Task StopAsync() => _container!.StopAsync();

    public async Task StartAsync()
    {
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await _container!.StartAsync(startup.Token);
    }

    public async Task DisposeAsync()
    {
        if (_container is not null) await _container.DisposeAsync();
    }
}
