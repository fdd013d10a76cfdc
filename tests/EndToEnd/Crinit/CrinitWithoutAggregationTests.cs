using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Crinit;

/// <summary>A real kube-apiserver 1.20 started without the --requestheader-* and --proxy-client-* flags.</summary>
public sealed class HostWithoutAggregationLayer : IAsyncLifetime
{
    public HostCluster Host { get; } = HostCluster.WithoutAggregationLayer();

    public Task InitializeAsync() => Host.InitializeAsync();

    public Task DisposeAsync() => Host.DisposeAsync();
}

/// <summary>
/// <c>crinit aggregated init</c> against a host without the aggregation layer: the APIService could never become
/// Available there, so crinit says so in one line, with the flags to add, before it creates anything.
/// </summary>
[Requires(Prerequisite.HostCluster)]
public sealed class CrinitWithoutAggregationTests(HostWithoutAggregationLayer fixture) : CrinitHostTests(fixture.Host), IClassFixture<HostWithoutAggregationLayer>
{
    [Fact]
    public async Task AggregatedInit_ExplainsTheMissingAggregationLayer_InOneLine_AndCreatesNothing()
    {
        var host = Host;
        var kubeconfig = UserKubeconfig();
        var before = await HostInventory.ListAsync(host.Kubernetes);

        var r = await CrinitCli.RunAsync(TimeSpan.FromMinutes(2), "aggregated", "init", "registry", "--kubeconfig", kubeconfig);

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("error: the host's API server has no aggregation layer (kube-system/extension-apiserver-authentication has no requestheader-client-ca-file): " +
            "start kube-apiserver with --requestheader-client-ca-file, ", r.Stderr);
        Assert.Contains("--proxy-client-cert-file and --proxy-client-key-file", r.Stderr);
        Assert.Empty(before);
        Assert.Empty(await HostInventory.ListAsync(host.Kubernetes));
    }
}
