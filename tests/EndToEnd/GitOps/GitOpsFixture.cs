using ClusterRegistry.Tests.EndToEnd.KubectlSuite;

namespace ClusterRegistry.Tests.EndToEnd.GitOps;

/// <summary>One real server, and kubectl 1.32 and 1.20 each with its own cache, for the GitOps tests.</summary>
public sealed class GitOpsFixture : KubectlServerFixture
{
    public KubectlClient Kubectl => For(Infrastructure.Kubectl.V132);
    public KubectlClient Kubectl120 => For(Infrastructure.Kubectl.V120);

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
