using ClusterRegistry.Client;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using k8s;

namespace ClusterRegistry.Tests.Client;

/// <summary>The real <c>clusterregistry standalone</c> process, and clients from the kubeconfig it writes.</summary>
public class RegistryServerFixture : IAsyncLifetime
{
    public ServerProcess Server { get; private set; } = null!;

    protected virtual string[] ServerArguments => [];

    public async Task InitializeAsync() => Server = await ServerProcess.StartAsync(null, null, ServerArguments);

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public KubernetesClientConfiguration Config() => KubernetesClientConfiguration.BuildConfigFromConfigFile(Server.Kubeconfig);

    public ClusterRegistryClient CreateClient() => new(Config());
}

/// <summary>One server shared by the test classes that do not need compaction (each uses its own names and labels).</summary>
[CollectionDefinition(Name)]
public sealed class RegistryServerCollection : ICollectionFixture<RegistryServerFixture>
{
    public const string Name = "registry server";
}

/// <summary>A server that compacts its history every second, so a resourceVersion from a few seconds ago expires.</summary>
public sealed class CompactingServerFixture : RegistryServerFixture
{
    protected override string[] ServerArguments => ["--compaction-interval", "1s"];
}
