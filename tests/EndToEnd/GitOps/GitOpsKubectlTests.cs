using System.Text.Json;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using ClusterRegistry.Tests.EndToEnd.KubectlSuite;

namespace ClusterRegistry.Tests.EndToEnd.GitOps;

/// <summary>explain, server-side apply, strategic merge patch, diff and server dry-run through the real kubectl 1.32.</summary>
public sealed class GitOpsKubectlTests(GitOpsFixture fx) : IClassFixture<GitOpsFixture>
{
    private KubectlClient K => fx.Kubectl;

    private async Task<JsonElement> GetJson(string name)
    {
        var r = await K.RunAsync($"get cluster {name} -o json --show-managed-fields");
        Assert.True(r.ExitCode == 0, r.ToString());
        return JsonDocument.Parse(r.Stdout).RootElement;
    }

    private static string[] Addresses(JsonElement cluster) =>
        cluster.GetProperty("spec").GetProperty("kubernetesApiEndpoints").GetProperty("serverEndpoints")
            .EnumerateArray().Select(e => e.GetProperty("serverAddress").GetString()!).ToArray();

    [Fact]
    public async Task Explain_ThreeDepths_PrintDescriptions()
    {
        var top = await K.RunAsync("explain clusters");
        Assert.True(top.ExitCode == 0, top.ToString());
        Assert.Contains("Cluster contains information about a cluster in a cluster registry.", top.Stdout);
        Assert.Contains("spec\t<ClusterSpec>", top.Stdout);

        var spec = await K.RunAsync("explain clusters.spec");
        Assert.Contains("kubernetesApiEndpoints", spec.Stdout);
        Assert.Contains("KubernetesAPIEndpoints represents the endpoints of the API server", spec.Stdout);

        var recursive = await K.RunAsync("explain clusters.spec.kubernetesApiEndpoints --recursive");
        Assert.True(recursive.ExitCode == 0, recursive.ToString());
        Assert.Contains("serverEndpoints", recursive.Stdout);
        Assert.Contains("clientCIDR", recursive.Stdout);
        Assert.Contains("serverAddress\t<string> -required-", recursive.Stdout);
        Assert.Contains("caBundle", recursive.Stdout);
    }

    [Fact]
    public async Task ApplyServerSide_CreateUpdateConflictForce()
    {
        var created = await K.RunAsync("apply --server-side -f -", GitOpsFixture.Manifest("ssa-1", ("0.0.0.0/0", "a.example.com")));
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("serverside-applied", created.Stdout);

        var updated = await K.RunAsync("apply --server-side -f -", GitOpsFixture.Manifest("ssa-1", ("0.0.0.0/0", "b.example.com")));
        Assert.True(updated.ExitCode == 0, updated.ToString());
        var afterUpdate = await GetJson("ssa-1");
        Assert.Equal(["b.example.com"], Addresses(afterUpdate));

        // The same configuration again is a no-op, as in kube-apiserver: no new resourceVersion, no watch event.
        var again = await K.RunAsync("apply --server-side -f -", GitOpsFixture.Manifest("ssa-1", ("0.0.0.0/0", "b.example.com")));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(ResourceVersion(afterUpdate), ResourceVersion(await GetJson("ssa-1")));

        var conflict = await K.RunAsync("apply --server-side --field-manager=other -f -", GitOpsFixture.Manifest("ssa-1", ("0.0.0.0/0", "c.example.com")));
        Assert.NotEqual(0, conflict.ExitCode);
        Assert.Contains("Apply failed with 1 conflict: conflict with \"kubectl\"", conflict.Stderr);
        Assert.Contains(".spec.kubernetesApiEndpoints.serverEndpoints[clientCIDR=\"0.0.0.0/0\"].serverAddress", conflict.Stderr);
        Assert.Equal(["b.example.com"], Addresses(await GetJson("ssa-1")));

        var forced = await K.RunAsync("apply --server-side --field-manager=other --force-conflicts -f -", GitOpsFixture.Manifest("ssa-1", ("0.0.0.0/0", "c.example.com")));
        Assert.True(forced.ExitCode == 0, forced.ToString());
        var cluster = await GetJson("ssa-1");
        Assert.Equal(["c.example.com"], Addresses(cluster));
        var managers = cluster.GetProperty("metadata").GetProperty("managedFields").EnumerateArray()
            .Select(m => (m.GetProperty("manager").GetString(), m.GetProperty("operation").GetString())).ToList();
        Assert.Contains(("other", "Apply"), managers);
        Assert.Contains(("kubectl", "Apply"), managers);
    }

    [Fact]
    public async Task ApplyServerSide_AfterClientSideApply_MigratesOwnershipAsKubectlDoes()
    {
        Assert.Equal(0, (await K.RunAsync("apply -f -", GitOpsFixture.Manifest("csa-1", ("0.0.0.0/0", "a.example.com")))).ExitCode);
        // Changing a field the client-side applier owns conflicts, as on kube-apiserver…
        var changed = await K.RunAsync("apply --server-side -f -", GitOpsFixture.Manifest("csa-1", ("0.0.0.0/0", "z.example.com")));
        Assert.Contains("conflict with \"kubectl-client-side-apply\"", changed.Stderr);
        // …the same manifest applies, and kubectl then moves the client-side applier's fields to its own manager…
        var same = await K.RunAsync("apply --server-side -f -", GitOpsFixture.Manifest("csa-1", ("0.0.0.0/0", "a.example.com")));
        Assert.True(same.ExitCode == 0, same.ToString());
        var managers = (await GetJson("csa-1")).GetProperty("metadata").GetProperty("managedFields").EnumerateArray()
            .Select(m => m.GetProperty("manager").GetString()).ToList();
        Assert.DoesNotContain("kubectl-client-side-apply", managers);
        // …after which server-side apply owns the fields and changes them without conflict.
        var ssa = await K.RunAsync("apply --server-side -f -", GitOpsFixture.Manifest("csa-1", ("0.0.0.0/0", "z.example.com")));
        Assert.True(ssa.ExitCode == 0, ssa.ToString());
        Assert.Equal(["z.example.com"], Addresses(await GetJson("csa-1")));
    }

    [Fact]
    public async Task PatchDefaultStrategic_AddsEndpointKeepingOthers()
    {
        Assert.Equal(0, (await K.RunAsync("apply -f -", GitOpsFixture.Manifest("smp-1", ("0.0.0.0/0", "a.example.com"), ("10.0.0.0/8", "b.internal")))).ExitCode);
        var patch = await K.RunAsync("""patch cluster smp-1 -p '{"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"192.168.0.0/16","serverAddress":"c.lan"}]}}}'""");
        Assert.True(patch.ExitCode == 0, patch.ToString());
        Assert.Equal(["a.example.com", "b.internal", "c.lan"], Addresses(await GetJson("smp-1")));

        var delete = await K.RunAsync("""patch cluster smp-1 -p '{"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"10.0.0.0/8","$patch":"delete"}]}}}'""");
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Equal(["a.example.com", "c.lan"], Addresses(await GetJson("smp-1")));
    }

    [Fact]
    public async Task ClientSideApply_ChangedEndpoint_UsesStrategicPatchAndUpdates()
    {
        Assert.Equal(0, (await K.RunAsync("apply -f -", GitOpsFixture.Manifest("csa-2", ("0.0.0.0/0", "a.example.com"), ("10.0.0.0/8", "b.internal")))).ExitCode);
        var unchanged = await K.RunAsync("apply -f -", GitOpsFixture.Manifest("csa-2", ("0.0.0.0/0", "a.example.com"), ("10.0.0.0/8", "b.internal")));
        Assert.Contains("unchanged", unchanged.Stdout);
        var configured = await K.RunAsync("apply -f -", GitOpsFixture.Manifest("csa-2", ("0.0.0.0/0", "a.example.com")));
        Assert.Contains("configured", configured.Stdout);
        Assert.Equal(["a.example.com"], Addresses(await GetJson("csa-2")));
    }

    [Fact]
    public async Task Diff_ExitOneWithChangeThenZero()
    {
        Assert.Equal(0, (await K.RunAsync("apply -f -", GitOpsFixture.Manifest("diff-1", ("0.0.0.0/0", "a.example.com")))).ExitCode);
        var same = await K.RunAsync("diff -f -", GitOpsFixture.Manifest("diff-1", ("0.0.0.0/0", "a.example.com")));
        Assert.True(same.ExitCode == 0, same.ToString());

        var changed = await K.RunAsync("diff -f -", GitOpsFixture.Manifest("diff-1", ("0.0.0.0/0", "b.example.com")));
        Assert.True(changed.ExitCode == 1, changed.ToString());
        Assert.Contains("-      serverAddress: a.example.com", changed.Stdout);
        Assert.Contains("+      serverAddress: b.example.com", changed.Stdout);
        Assert.Equal(["a.example.com"], Addresses(await GetJson("diff-1")));

        var serverSide = await K.RunAsync("diff --server-side --force-conflicts -f -", GitOpsFixture.Manifest("diff-1", ("0.0.0.0/0", "b.example.com")));
        Assert.True(serverSide.ExitCode == 1, serverSide.ToString());
        var newObject = await K.RunAsync("diff -f -", GitOpsFixture.Manifest("diff-new", ("0.0.0.0/0", "n.example.com")));
        Assert.True(newObject.ExitCode == 1, newObject.ToString());
        Assert.Contains("+  name: diff-new", newObject.Stdout);
        Assert.NotEqual(0, (await K.RunAsync("get cluster diff-new")).ExitCode);
    }

    [Fact]
    public async Task DryRunServer_CreateAndDeleteStoreNothing()
    {
        var create = await K.RunAsync("create --dry-run=server -o json -f -", GitOpsFixture.Manifest("dry-1", ("0.0.0.0/0", "a.example.com")));
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Equal("dry-1", JsonDocument.Parse(create.Stdout).RootElement.GetProperty("metadata").GetProperty("name").GetString());
        Assert.Contains("NotFound", (await K.RunAsync("get cluster dry-1")).Stderr);

        var invalid = await K.RunAsync("create --dry-run=server -f -", GitOpsFixture.Manifest("dry-1", ("bad", "a.example.com")));
        Assert.NotEqual(0, invalid.ExitCode);
        Assert.Contains("is invalid", invalid.Stderr);

        Assert.Equal(0, (await K.RunAsync("create -f -", GitOpsFixture.Manifest("dry-2", ("0.0.0.0/0", "a.example.com")))).ExitCode);
        var delete = await K.RunAsync("delete cluster dry-2 --dry-run=server");
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Contains("(server dry run)", delete.Stdout);
        Assert.Equal(0, (await K.RunAsync("get cluster dry-2")).ExitCode);

        var apply = await K.RunAsync("apply --server-side --force-conflicts --dry-run=server -f -", GitOpsFixture.Manifest("dry-2", ("0.0.0.0/0", "z.example.com")));
        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Equal(["a.example.com"], Addresses(await GetJson("dry-2")));
    }

    [Fact]
    public async Task ShowManagedFields_ListsManagersPerWrite()
    {
        Assert.Equal(0, (await K.RunAsync("create -f -", GitOpsFixture.Manifest("mf-1", ("0.0.0.0/0", "a.example.com")))).ExitCode);
        Assert.Equal(0, (await K.RunAsync("label cluster mf-1 team=x")).ExitCode);
        var yaml = await K.RunAsync("get cluster mf-1 -o yaml --show-managed-fields");
        Assert.Contains("manager: kubectl-create", yaml.Stdout);
        Assert.Contains("manager: kubectl-label", yaml.Stdout);
        Assert.Contains("f:team: {}", yaml.Stdout);
        var plain = await K.RunAsync("get cluster mf-1 -o yaml");
        Assert.DoesNotContain("managedFields", plain.Stdout);
    }

    private static string? ResourceVersion(JsonElement cluster) => cluster.GetProperty("metadata").GetProperty("resourceVersion").GetString();
}
