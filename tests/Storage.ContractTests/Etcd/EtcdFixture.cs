using ClusterRegistry.Infrastructure.Storage.Etcd;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;

namespace ClusterRegistry.Tests.StorageContractTests.Etcd;

/// <summary>
/// One single-node etcd in Docker (<see cref="StoreContainers"/>) for a test class. Tests share the container and
/// stay apart by key prefix (<see cref="CreateStorage"/>); etcd's revision counter and compaction point are shared.
/// </summary>
public sealed class EtcdFixture : IAsyncLifetime
{
    private IContainer? _container;

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
    public static Task<IContainer> StartAsync(
        string scheme = "http", IEnumerable<string>? extraArguments = null, Func<ContainerBuilder, ContainerBuilder>? configure = null)
    {
        var builder = StoreContainers.Etcd("etcd")
            .WithCommand([.. StoreContainers.SingleMember("/tmp/etcd", scheme), .. extraArguments ?? []])
            .WithTmpfsMount("/tmp/etcd")
            .WithPortBinding(StoreContainers.EtcdClientPort, assignRandomHostPort: true);
        return StoreContainers.StartAsync((configure?.Invoke(builder) ?? builder).Build());
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
        $"{scheme}://{container.Hostname}:{container.GetMappedPublicPort(StoreContainers.EtcdClientPort)}";

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
