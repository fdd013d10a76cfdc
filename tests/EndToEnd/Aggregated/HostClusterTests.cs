using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Aggregated;

/// <summary>
/// The host-cluster fixture itself: a real kube-apiserver answers kubectl with the admin kubeconfig, and the
/// controller manager's namespace controller finishes a namespace deletion (without it the namespace would stay
/// Terminating forever).
/// </summary>
[Requires(Prerequisite.HostCluster)]
public sealed class HostClusterTests(HostCluster host) : IClassFixture<HostCluster>
{
    [Fact]
    public async Task Kubectl_lists_the_namespaces_and_a_deleted_namespace_goes_away()
    {
        var listed = await host.Kubectl.RunAsync("get namespaces -o name");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains("namespace/kube-system", listed.Stdout);
        Assert.Contains("namespace/default", listed.Stdout);

        var created = await host.Kubectl.RunAsync("create namespace doomed");
        Assert.True(created.ExitCode == 0, created.ToString());
        // kubectl waits until the namespace is gone (the finalizer removed by the namespace controller).
        var deleted = await host.Kubectl.RunAsync("delete namespace doomed --timeout=60s", timeoutSeconds: 90);
        Assert.True(deleted.ExitCode == 0, deleted + "\n" + host.Logs());
        var after = await host.Kubectl.RunAsync("get namespace doomed");
        Assert.NotEqual(0, after.ExitCode);
        Assert.Contains("NotFound", after.Stderr);
    }
}
