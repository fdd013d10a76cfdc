using ClusterRegistry.Infrastructure.Storage.Etcd;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Images;

namespace ClusterRegistry.Tests.StorageContractTests.Etcd;

/// <summary>
/// One single-node etcd in Docker (Testcontainers) for a test class. The image is <c>CLUSTERREGISTRY_ETCD_IMAGE</c>, by
/// default the locally built <c>clusterregistry-test/etcd:latest</c> (tests/images/build-images.sh, or .ci/docker.sh);
/// with registry access any etcd image works, e.g. <c>quay.io/coreos/etcd:v3.5.17</c>. Tests share the container and
/// stay apart by key prefix (<see cref="CreateStorage"/>); etcd's revision counter and compaction point are shared.
/// </summary>
public sealed class EtcdFixture : IAsyncLifetime
{
    public const string ImageVariable = "CLUSTERREGISTRY_ETCD_IMAGE";
    public const string LocalImage = "clusterregistry-test/etcd:latest";
    private const int ClientPort = 2379;

    private IContainer? _container;

    static EtcdFixture() => DockerEnvironment.Configure();

    /// <summary>The client URL of the running etcd, e.g. <c>http://127.0.0.1:32768</c>.</summary>
    public string Endpoint { get; private set; } = "";

    public IContainer Container => _container ?? throw new InvalidOperationException("etcd is not started");

    public async Task InitializeAsync()
    {
        _container = await StartAsync();
        Endpoint = ClientUrl(_container, "http");
    }

    /// <summary>
    /// Starts an etcd container; <paramref name="extraArguments"/> are appended to etcd's flags (later flags win), and
    /// <paramref name="configure"/> can add mounts. The caller disposes the container.
    /// </summary>
    public static async Task<IContainer> StartAsync(
        string scheme = "http", IEnumerable<string>? extraArguments = null, Func<ContainerBuilder, ContainerBuilder>? configure = null)
    {
        var image = Environment.GetEnvironmentVariable(ImageVariable) is { Length: > 0 } configured ? configured : LocalImage;
        var local = image.StartsWith("clusterregistry-test/", StringComparison.Ordinal);
        var builder = new ContainerBuilder(image)
            .WithImagePullPolicy(local ? PullPolicy.Never : PullPolicy.Missing)
            .WithLabel("clusterregistry.test", "etcd")
            // Set explicitly so public etcd images (which only ship the binary) start the same way as the local one.
            .WithEntrypoint("etcd")
            .WithCommand(
            [
                "--name=etcd0",
                "--data-dir=/tmp/etcd",
                $"--listen-client-urls={scheme}://0.0.0.0:{ClientPort}",
                $"--advertise-client-urls={scheme}://127.0.0.1:{ClientPort}",
                "--listen-peer-urls=http://127.0.0.1:2380",
                "--initial-advertise-peer-urls=http://127.0.0.1:2380",
                "--initial-cluster=etcd0=http://127.0.0.1:2380",
                .. extraArguments ?? [],
            ])
            .WithTmpfsMount("/tmp/etcd")
            .WithPortBinding(ClientPort, assignRandomHostPort: true)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("ready to serve client requests"));
        var container = (configure?.Invoke(builder) ?? builder).Build();
        try
        {
            using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await container.StartAsync(startup.Token);
            return container;
        }
        catch (Exception e)
        {
            await container.DisposeAsync();
            throw new InvalidOperationException(
                $"could not start etcd from image '{image}' in Docker ({e.GetType().Name}: {e.Message}). " +
                $"Start Docker and build the local images with .ci/docker.sh, or set {ImageVariable} to a pullable etcd image.", e);
        }
    }

    /// <summary>
    /// Starts an etcd that serves HTTPS only to clients with a certificate its CA signed: the server and CA files are
    /// read from <paramref name="certificates"/> (as the TLS tests' TestCertificates.Write lays them out).
    /// </summary>
    public static Task<IContainer> StartWithClientCertificatesAsync(string certificates) => StartAsync(
        scheme: "https",
        extraArguments:
        [
            "--cert-file=/certs/server.crt",
            "--key-file=/certs/server.key",
            "--client-cert-auth=true",
            "--trusted-ca-file=/certs/ca.crt",
        ],
        configure: b => b.WithBindMount(certificates, "/certs", AccessMode.ReadOnly));

    public static string ClientUrl(IContainer container, string scheme) =>
        $"{scheme}://{container.Hostname}:{container.GetMappedPublicPort(ClientPort)}";

    /// <summary>A store on this etcd under its own, fresh key prefix, so it starts empty.</summary>
    public EtcdStorage CreateStorage(string? prefix = null, string? endpoint = null, TimeSpan? requestTimeout = null) => new(Options(prefix, endpoint, requestTimeout));

    public EtcdOptions Options(string? prefix = null, string? endpoint = null, TimeSpan? requestTimeout = null) => new()
    {
        Servers = [endpoint ?? Endpoint],
        Prefix = prefix ?? NewPrefix(),
        RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(5),
    };

    public static string NewPrefix() => $"/registry/test-{Guid.NewGuid():N}";

    public async Task DisposeAsync()
    {
        if (_container is not null) await _container.DisposeAsync();
    }
}

/// <summary>The settings Testcontainers needs against the Debian Docker daemon on these machines (docs/test-environment.md).</summary>
internal static class DockerEnvironment
{
    public static void Configure()
    {
        // The Debian daemon (20.10) speaks API 1.41; Testcontainers 4.x would ask for a newer one.
        SetDefault("DOCKER_API_VERSION", "1.41");
        // Ryuk's image cannot be pulled without a registry; containers are disposed by the fixtures (and carry the
        // org.testcontainers=true label for manual clean-up).
        SetDefault("TESTCONTAINERS_RYUK_DISABLED", "true");
        // /.dockerenv exists here, so Testcontainers would otherwise dial the docker0 gateway for mapped ports.
        SetDefault("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1");
    }

    private static void SetDefault(string name, string value)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name))) Environment.SetEnvironmentVariable(name, value);
    }
}
