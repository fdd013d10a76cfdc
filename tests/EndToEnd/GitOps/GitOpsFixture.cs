using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.GitOps;

/// <summary>One real server, and kubectl 1.32 and 1.20 each with its own cache, for the GitOps tests.</summary>
public sealed class GitOpsFixture : IAsyncLifetime
{
    public ServerProcess Server { get; private set; } = null!;
    public Kubectl Kubectl { get; private set; } = null!;
    public Kubectl Kubectl120 { get; private set; } = null!;
    private string _cache = "";

    public async Task InitializeAsync()
    {
        Server = await ServerProcess.StartAsync();
        _cache = Path.Combine(Path.GetTempPath(), "cr-kc-" + Guid.NewGuid().ToString("N")[..8]);
        Kubectl = new Kubectl(Kubectl.V132, Server.Kubeconfig, Path.Combine(_cache, "1.32"));
        Kubectl120 = new Kubectl(Kubectl.V120, Server.Kubeconfig, Path.Combine(_cache, "1.20"));
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        try { Directory.Delete(_cache, true); } catch (IOException) { }
    }

    /// <summary>A manifest for one cluster with the given endpoints.</summary>
    public static string Manifest(string name, params (string Cidr, string Address)[] endpoints) =>
        $"""
        apiVersion: clusterregistry.k8s.io/v1alpha1
        kind: Cluster
        metadata:
          name: {name}
        spec:
          kubernetesApiEndpoints:
            serverEndpoints:
        {string.Concat(endpoints.Select(e => $"    - clientCIDR: \"{e.Cidr}\"\n      serverAddress: \"{e.Address}\"\n"))}
        """;
}
