using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using ClusterRegistry.Tests.EndToEnd.KubectlSuite;

namespace ClusterRegistry.Tests.EndToEnd.Aggregated;

/// <summary>
/// kubectl against the host kube-apiserver reaches the registry through the real aggregator: the APIService is
/// Available (the aggregator's discovery check passed with the front-proxy certificate), reads and writes are
/// proxied with the user in request headers, watches stream, and the registry's OpenAPI is merged into the host's.
/// </summary>
[Requires(Prerequisite.HostCluster)]
[Requires(Prerequisite.Kubectl120)]
[Collection(AggregatedCollection.Name)]
public sealed class AggregatedKubectlTests(AggregatedFixture fx)
{
    private Kubectl Kubectl => fx.Host.Kubectl;

    [Fact]
    public async Task Get_apply_patch_and_delete_go_through_the_host()
    {
        var name = ClusterManifests.UniqueName("agg");
        var applied = await Kubectl.RunAsync("apply -f -", ClusterManifests.Cluster(name));
        Assert.True(applied.ExitCode == 0, applied.ToString());
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} created", applied.Stdout);
        var again = await Kubectl.RunAsync("apply -f -", ClusterManifests.Cluster(name));
        Assert.Contains("unchanged", again.Stdout);

        var patched = await Kubectl.RunAsync($"patch clusters.clusterregistry.k8s.io {name} --type=merge -p '{{\"metadata\":{{\"labels\":{{\"env\":\"prod\"}}}}}}'");
        Assert.True(patched.ExitCode == 0, patched.ToString());
        var listed = await Kubectl.RunAsync("get clusters.clusterregistry.k8s.io -l env=prod -o name");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name}", listed.Stdout);

        // The object is in the registry's own store, not the host's: the registry serves it directly too.
        using var http = fx.CreateDirectClient(fx.Host.IssueClientCertificate("admin", "system:masters"));
        var direct = await http.GetAsync($"/apis/clusterregistry.k8s.io/v1alpha1/clusters/{name}");
        Assert.Equal(System.Net.HttpStatusCode.OK, direct.StatusCode);

        var deleted = await Kubectl.RunAsync($"delete clusters.clusterregistry.k8s.io {name}");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        var gone = await Kubectl.RunAsync($"get clusters.clusterregistry.k8s.io {name}");
        Assert.NotEqual(0, gone.ExitCode);
        Assert.Contains("NotFound", gone.Stderr);
    }

    [Fact]
    public async Task A_watch_through_the_host_receives_the_event()
    {
        var name = ClusterManifests.UniqueName("aggw");
        // -v=6 logs each request once its answer starts: the watch's 200 means the event below cannot be missed.
        await using var watch = new BackgroundKubectl(Kubectl.Start("get clusters.clusterregistry.k8s.io -w -o name -v=6"), "get -w");
        var established = await watch.WaitForStderrAsync(WatchEstablished, 60);
        Assert.True(established is not null, $"the watch did not start\nstderr:\n{watch.Stderr}");
        var created = await Kubectl.RunAsync("apply -f -", ClusterManifests.Cluster(name));
        Assert.True(created.ExitCode == 0, created.ToString());
        var line = await watch.WaitForStdoutAsync(l => l.Contains(name), 30);
        Assert.True(line is not null, $"no watch event for {name}\nstdout:\n{watch.Stdout}\nstderr:\n{watch.Stderr}");
        await Kubectl.RunAsync($"delete clusters.clusterregistry.k8s.io {name}");
    }

    [Fact]
    public async Task Kubectl_explain_reads_the_schema_the_host_merged()
    {
        foreach (var binary in new[] { Infrastructure.Kubectl.V132, Infrastructure.Kubectl.V120 })
        {
            var kubectl = fx.Host.KubectlFor(fx.Host.Kubeconfig, binary);
            var explained = await kubectl.RunAsync("explain clusters.spec --api-version=clusterregistry.k8s.io/v1alpha1");
            Assert.True(explained.ExitCode == 0, binary + "\n" + explained);
            Assert.Contains("kubernetesApiEndpoints", explained.Stdout);
        }
    }

    /// <summary>kubectl's -v=6 line for a watch request answered 200 (1.20: "GET ...watch=true 200 OK"; 1.32: url=... status="200 OK").</summary>
    internal static bool WatchEstablished(string line) => line.Contains("watch=true", StringComparison.Ordinal) && line.Contains("200 OK", StringComparison.Ordinal);
}
