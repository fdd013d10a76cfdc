using System.Text.Json;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using ClusterRegistry.Tests.EndToEnd.KubectlSuite;

namespace ClusterRegistry.Tests.EndToEnd.GitOps;

/// <summary>
/// explain, diff and server dry-run through the real kubectl 1.20, which finds the resource's schema, and whether
/// the server supports dry-run, only in the protobuf OpenAPI v2 document.
/// </summary>
[Requires(Prerequisite.Kubectl120)]
public sealed class Kubectl120GitOpsTests(GitOpsFixture fx) : IClassFixture<GitOpsFixture>
{
    private KubectlClient K => fx.Kubectl120;

    private async Task<string> AddressAsync(string name)
    {
        var r = await fx.Kubectl.RunAsync($"get cluster {name} -o json");
        Assert.True(r.ExitCode == 0, r.ToString());
        return JsonDocument.Parse(r.Stdout).RootElement.GetProperty("spec").GetProperty("kubernetesApiEndpoints")
            .GetProperty("serverEndpoints")[0].GetProperty("serverAddress").GetString()!;
    }

    [Fact]
    public async Task Explain_Resource_PrintsKindDescriptionAndFields()
    {
        var r = await K.RunAsync("explain clusters");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("KIND:     Cluster", r.Stdout);
        Assert.Contains("VERSION:  clusterregistry.k8s.io/v1alpha1", r.Stdout);
        Assert.Contains("Cluster contains information about a cluster in a cluster registry.", r.Stdout);
        Assert.Contains("spec\t<Object>", r.Stdout);
        Assert.Contains("status\t<Object>", r.Stdout);
    }

    [Fact]
    public async Task Explain_Spec_FollowsTheReferenceToClusterSpec()
    {
        var r = await K.RunAsync("explain clusters.spec");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("RESOURCE: spec <Object>", r.Stdout);
        Assert.Contains("ClusterSpec contains the spec of the cluster.", r.Stdout);
        Assert.Contains("kubernetesApiEndpoints\t<Object>", r.Stdout);
        Assert.Contains("authInfo\t<Object>", r.Stdout);
    }

    [Fact]
    public async Task Explain_ServerEndpoints_ListsItemFieldsWithRequired()
    {
        var r = await K.RunAsync("explain clusters.spec.kubernetesApiEndpoints.serverEndpoints");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("RESOURCE: serverEndpoints <[]Object>", r.Stdout);
        Assert.Contains("clientCIDR\t<string>", r.Stdout);
        Assert.Contains("serverAddress\t<string> -required-", r.Stdout);
    }

    [Fact]
    public async Task Diff_ExitOneWithChangeThenZero_StoresNothing()
    {
        Assert.Equal(0, (await fx.Kubectl.RunAsync("apply -f -", GitOpsFixture.Manifest("diff-120", ("0.0.0.0/0", "a.example.com")))).ExitCode);

        var same = await K.RunAsync("diff -f -", GitOpsFixture.Manifest("diff-120", ("0.0.0.0/0", "a.example.com")));
        var changed = await K.RunAsync("diff -f -", GitOpsFixture.Manifest("diff-120", ("0.0.0.0/0", "b.example.com")));

        Assert.True(same.ExitCode == 0, same.ToString());
        Assert.True(changed.ExitCode == 1, changed.ToString());
        Assert.Contains("-      serverAddress: a.example.com", changed.Stdout);
        Assert.Contains("+      serverAddress: b.example.com", changed.Stdout);
        Assert.Equal("a.example.com", await AddressAsync("diff-120"));
    }

    [Fact]
    public async Task ApplyDryRunServer_ReportsServerDryRunAndStoresNothing()
    {
        Assert.Equal(0, (await fx.Kubectl.RunAsync("apply -f -", GitOpsFixture.Manifest("dry-120", ("0.0.0.0/0", "a.example.com")))).ExitCode);

        var dryRun = await K.RunAsync("apply --dry-run=server -f -", GitOpsFixture.Manifest("dry-120", ("0.0.0.0/0", "z.example.com")));
        var create = await K.RunAsync("apply --dry-run=server -f -", GitOpsFixture.Manifest("dry-120-new", ("0.0.0.0/0", "n.example.com")));

        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        Assert.Contains("cluster.clusterregistry.k8s.io/dry-120 configured (server dry run)", dryRun.Stdout);
        Assert.Equal("a.example.com", await AddressAsync("dry-120"));
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Contains("cluster.clusterregistry.k8s.io/dry-120-new created (server dry run)", create.Stdout);
        Assert.NotEqual(0, (await fx.Kubectl.RunAsync("get cluster dry-120-new")).ExitCode);
    }

    [Fact]
    public async Task Create_UnknownField_RejectedByClientSideValidation()
    {
        var manifest = GitOpsFixture.Manifest("validate-120", ("0.0.0.0/0", "a.example.com")).Replace("serverAddress:", "serverAdress:", StringComparison.Ordinal);

        var r = await K.RunAsync("create -f -", manifest);

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("error validating data", r.Stderr);
        Assert.Contains("ValidationError(Cluster.spec.kubernetesApiEndpoints.serverEndpoints[0]): unknown field \"serverAdress\"", r.Stderr);
        Assert.NotEqual(0, (await fx.Kubectl.RunAsync("get cluster validate-120")).ExitCode);
    }
}
