using DotNet.Testcontainers.Builders;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>A single etcd member for end-to-end tests, its keys under a prefix of its own (image: <see cref="StoreContainers"/>).</summary>
public sealed class EtcdContainer : StoreContainer
{
    public string Endpoint => $"http://127.0.0.1:{HostPort}";
    public string Prefix { get; } = "/registry/e2e-" + Guid.NewGuid().ToString("N")[..8];

    public override string[] ServerArgs => ["--storage-backend", "etcd3", "--etcd-servers", Endpoint, "--etcd-prefix", Prefix];

    // The data directory is in the container's file system, so it outlives a stop and start.
    protected override ContainerBuilder Define() => StoreContainers.Etcd("etcd-e2e")
        .WithCommand(StoreContainers.SingleMember("/var/lib/etcd-e2e"))
        .WithPortBinding(HostPort, StoreContainers.EtcdClientPort);
}
