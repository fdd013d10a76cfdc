using System.Text.Json;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using static ClusterRegistry.Tests.EndToEnd.KubectlSuite.ClusterManifests;

namespace ClusterRegistry.Tests.EndToEnd.KubectlSuite;

/// <summary>Stops the server and starts a new one on the same data directory; kubectl sees the same clusters.</summary>
[Requires(Prerequisite.Kubectl120)]
public sealed class KubectlRestartTests
{
    public static TheoryData<string> Binaries => new() { Kubectl.V132, Kubectl.V120 };

    [Theory]
    [MemberData(nameof(Binaries))]
    public async Task Restart_SameDataDirectory_KeepsClustersAndResourceVersionsKeepGrowing(string binary)
    {
        var cacheRoot = Path.Combine(Path.GetTempPath(), "cr-kubectl-restart-" + Guid.NewGuid().ToString("N")[..12]);
        await using var first = await ServerProcess.StartAsync();
        try
        {
            // Arrange with kubectl 1.32; read back with the kubectl under test.
            var setup = new KubectlClient(Kubectl.V132, first.Kubeconfig, Path.Combine(cacheRoot, "setup-1"));
            var suite = UniqueSuite();
            var labels = new Dictionary<string, string> { ["suite"] = suite };
            string[] names = [$"{suite}-a", $"{suite}-b", $"{suite}-c"];
            Check(await setup.RunAsync("create -f -", Documents(names.Select((n, i) => Cluster(n, $"10.0.0.{i + 1}:6443", labels: labels)))));
            Check(await setup.RunAsync($"label cluster {names[0]} changed=yes"));
            var removed = $"{suite}-removed";
            Check(await setup.RunAsync("create -f -", Cluster(removed, labels: labels)));
            Check(await setup.RunAsync($"delete cluster {removed}"));
            var before = await RawListAsync(setup, suite);
            // Every resourceVersion seen so far: the objects' and the list's (which covers the delete).
            var highestBefore = before.Items.Select(i => i.ResourceVersion).Append(before.ResourceVersion).Max();

            await first.StopAsync();
            await using var second = await ServerProcess.StartAsync(dataDir: first.DataDir);
            var kubectl = new KubectlClient(binary, second.Kubeconfig, Path.Combine(cacheRoot, "test-2"));
            var setup2 = new KubectlClient(Kubectl.V132, second.Kubeconfig, Path.Combine(cacheRoot, "setup-2"));

            var table = await kubectl.RunAsync($"get clusters -l suite={suite}");
            var after = await RawListAsync(setup2, suite);
            var write = await kubectl.RunAsync($"label cluster {names[1]} after=restart");
            var writtenRv = await setup2.RunAsync($"get cluster {names[1]} -o jsonpath='{{.metadata.resourceVersion}}'");

            Check(table);
            Assert.Equal(names, FirstColumn(table.Stdout));
            Assert.Equal(["10.0.0.1:6443", "10.0.0.2:6443", "10.0.0.3:6443"], names.Select(n => Row(table.Stdout, n)?[1]));
            Assert.Equal(before.Items, after.Items);
            Assert.True(after.ResourceVersion >= highestBefore, $"the list resourceVersion went back from {highestBefore} to {after.ResourceVersion}");
            Check(write);
            Check(writtenRv);
            var newRv = long.Parse(writtenRv.Stdout);
            Assert.True(newRv > highestBefore, $"a write after the restart got resourceVersion {newRv}, not above the earlier {highestBefore}");
        }
        finally
        {
            try
            {
                Directory.Delete(cacheRoot, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private sealed record Item(string Name, string Uid, long ResourceVersion, string Spec);

    private sealed record ListSnapshot(long ResourceVersion, List<Item> Items);

    /// <summary>The server's own ClusterList (kubectl's -o json drops the list resourceVersion).</summary>
    private static async Task<ListSnapshot> RawListAsync(KubectlClient k, string suite)
    {
        var r = await k.RunAsync($"get --raw '/apis/clusterregistry.k8s.io/v1alpha1/clusters?labelSelector=suite%3D{suite}'");
        Check(r);
        using var doc = JsonDocument.Parse(r.Stdout);
        var items = doc.RootElement.GetProperty("items").EnumerateArray()
            .Select(i => new Item(
                i.GetProperty("metadata").GetProperty("name").GetString()!,
                i.GetProperty("metadata").GetProperty("uid").GetString()!,
                long.Parse(i.GetProperty("metadata").GetProperty("resourceVersion").GetString()!),
                i.GetProperty("spec").GetRawText()))
            .OrderBy(i => i.Name, StringComparer.Ordinal)
            .ToList();
        return new ListSnapshot(long.Parse(doc.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString()!), items);
    }

    private static void Check(Kubectl.Result r) => Assert.True(r.ExitCode == 0, "kubectl failed: " + r);
}
