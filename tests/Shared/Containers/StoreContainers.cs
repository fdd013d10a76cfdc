using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Images;

namespace ClusterRegistry.Tests;

/// <summary>
/// etcd and PostgreSQL in Docker (Testcontainers) for every test project that needs a real store: the image choice,
/// the Testcontainers settings for these machines and the start with a clear failure, written once. The images are
/// <c>CLUSTERREGISTRY_ETCD_IMAGE</c> and <c>CLUSTERREGISTRY_POSTGRES_IMAGE</c>, by default the locally built
/// <c>clusterregistry-test/etcd:latest</c> and <c>clusterregistry-test/postgres:latest</c> (.ci/docker.sh); with
/// registry access any etcd image (e.g. <c>quay.io/coreos/etcd:v3.5.17</c>) and <c>postgres:15</c> work too.
/// </summary>
public static class StoreContainers
{
    public const string EtcdImageVariable = "CLUSTERREGISTRY_ETCD_IMAGE";
    public const string PostgresImageVariable = "CLUSTERREGISTRY_POSTGRES_IMAGE";
    public const int EtcdClientPort = 2379;
    public const int PostgresPort = 5432;

    /// <summary>
    /// Applies this machine's Testcontainers settings; call it before building anything of Testcontainers' own (a
    /// network, say) that is not made through this class, since Testcontainers reads its settings once.
    /// </summary>
    public static void Configure()
    {
        // The work is in the static constructor, which runs before the first member of this class is used.
    }

    static StoreContainers()
    {
        // The Debian daemon (20.10) speaks API 1.41; Testcontainers 4.x would ask for a newer one.
        SetDefault("DOCKER_API_VERSION", "1.41");
        // Ryuk's image cannot be pulled without a registry; containers are disposed by the fixtures (and carry the
        // org.testcontainers=true label for manual clean-up).
        SetDefault("TESTCONTAINERS_RYUK_DISABLED", "true");
        // /.dockerenv exists here, so Testcontainers would otherwise dial the docker0 gateway for mapped ports.
        SetDefault("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1");
    }

    public static string EtcdImage => Image(EtcdImageVariable, "clusterregistry-test/etcd:latest");
    public static string PostgresImage => Image(PostgresImageVariable, "clusterregistry-test/postgres:latest");

    /// <summary>
    /// An etcd container that logs when it serves; the caller adds the command line (<see cref="SingleMember"/> for a
    /// one-member cluster) and the port binding. The entrypoint is set so that public etcd images, which only ship the
    /// binary, start the same way as the local one.
    /// </summary>
    public static ContainerBuilder Etcd(string label) => From(EtcdImage, label)
        .WithEntrypoint("etcd")
        .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("ready to serve client requests"));

    /// <summary>The flags of a one-member etcd serving clients on <paramref name="scheme"/>, its data in <paramref name="dataDir"/>.</summary>
    public static string[] SingleMember(string dataDir, string scheme = "http") =>
    [
        "--name=etcd0",
        $"--data-dir={dataDir}",
        $"--listen-client-urls={scheme}://0.0.0.0:{EtcdClientPort}",
        $"--advertise-client-urls={scheme}://127.0.0.1:{EtcdClientPort}",
        "--listen-peer-urls=http://127.0.0.1:2380",
        "--initial-advertise-peer-urls=http://127.0.0.1:2380",
        "--initial-cluster=etcd0=http://127.0.0.1:2380",
    ];

    /// <summary>A PostgreSQL 15 container (password <c>postgres</c>, which the official image needs) that logs when it accepts connections.</summary>
    public static ContainerBuilder Postgres(string label) => From(PostgresImage, label)
        .WithEnvironment("POSTGRES_PASSWORD", "postgres")
        .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("database system is ready to accept connections"));

    /// <summary>
    /// Starts <paramref name="container"/> (within two minutes); when it cannot start, the container is disposed and the
    /// failure says how to get the images.
    /// </summary>
    public static async Task<IContainer> StartAsync(IContainer container)
    {
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
                $"could not start image '{container.Image.FullName}' in Docker ({e.GetType().Name}: {e.Message}). Start Docker and build " +
                $"the local images with .ci/docker.sh, or set {EtcdImageVariable} / {PostgresImageVariable} to pullable images.", e);
        }
    }

    private static ContainerBuilder From(string image, string label) => new ContainerBuilder(image)
        .WithImagePullPolicy(image.StartsWith("clusterregistry-test/", StringComparison.Ordinal) ? PullPolicy.Never : PullPolicy.Missing)
        .WithLabel("clusterregistry.test", label);

    private static string Image(string variable, string local) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } configured ? configured : local;

    private static void SetDefault(string name, string value)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name))) Environment.SetEnvironmentVariable(name, value);
    }
}
