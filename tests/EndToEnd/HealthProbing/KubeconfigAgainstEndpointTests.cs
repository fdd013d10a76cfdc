using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.HealthProbing;

/// <summary>
/// The exported kubeconfig, written to a file as kubectl printed it, is used by kubectl as it is to reach the
/// registered endpoint (an HTTPS server on loopback with its own CA): server address and caBundle carry over.
/// The cluster has no auth provider, so its user stanza is empty, and kubectl prompts for a username on any stdin
/// when a user has no credential at all; the test gives <c>--token</c> on the command line (the file stays as exported).
/// </summary>
public sealed class KubeconfigAgainstEndpointTests
{
    [Fact]
    public async Task ExportedKubeconfig_UsedVerbatimByKubectl_ReachesTheEndpointAndVerifiesItsCa()
    {
        await using var endpoint = await FakeClusterEndpoint.StartAsync();
        await using var server = await ServerProcess.StartAsync();
        using var client = server.CreateClient();
        var name = Api.UniqueName("kcfg");
        await Api.CreateAsync(client, Probing.Cluster(name, endpoint.ServerAddress, endpoint.CaPem));

        var registry = new Kubectl(Kubectl.V132, server.Kubeconfig, Path.Combine(server.DataDir, "kubectl-cache"));
        var exported = await RunAsync(registry, $"get --raw /apis/clusterregistry.k8s.io/v1alpha1/clusters/{name}/kubeconfig");
        var file = Path.Combine(server.DataDir, name + ".kubeconfig");
        await File.WriteAllTextAsync(file, exported);

        var cluster = new Kubectl(Kubectl.V132, file, file + "-cache");
        var version = await RunAsync(cluster, "get --raw /version --token=unused");
        Assert.Contains(FakeClusterEndpoint.GitVersion, version);
        Assert.Equal("ok", (await RunAsync(cluster, "get --raw /readyz --token=unused")).Trim());
        Assert.True(endpoint.Credentialed >= 2, "kubectl reached the endpoint");

        // The CA is what makes it work: the same file with another cluster's CA is refused by kubectl.
        var otherCa = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(TestPki.CreateCa("other-ca").CaPem));
        var tampered = Path.Combine(server.DataDir, name + "-other-ca.kubeconfig");
        await File.WriteAllTextAsync(tampered, System.Text.RegularExpressions.Regex.Replace(exported,
            "(\"?certificate-authority-data\"?:\\s*\"?)[A-Za-z0-9+/=]+", m => m.Groups[1].Value + otherCa));
        var refused = await new Kubectl(Kubectl.V132, tampered, tampered + "-cache").RunAsync("get --raw /version --token=unused");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("certificate", refused.Stderr);
    }

    private static async Task<string> RunAsync(Kubectl kubectl, string args)
    {
        var result = await kubectl.RunAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {args}: {result}");
        return result.Stdout;
    }
}
