using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using static ClusterRegistry.Tests.EndToEnd.KubectlSuite.ClusterManifests;

namespace ClusterRegistry.Tests.EndToEnd.KubectlSuite;

/// <summary>
/// <c>kubectl get clusters -w</c> while the server restarts: kubectl ends on its own, having printed only table rows
/// (kubectl reports a closed watch by exiting 0, as against kube-apiserver), and a new watch on the restarted server
/// prints the next change.
/// </summary>
[Requires(Prerequisite.Kubectl120)]
public sealed class KubectlWatchRestartTests : IDisposable
{
    public static TheoryData<string> Binaries => new() { Kubectl.V132, Kubectl.V120 };

    private readonly DirectoryInfo _cache = Directory.CreateTempSubdirectory("cr-kwatch-");

    public void Dispose() => _cache.Delete(recursive: true);

    [Theory]
    [MemberData(nameof(Binaries))]
    public async Task GetWatch_ServerRestarted_EndsCleanlyAndAWatchOnTheRestartedServerSeesChanges(string binary)
    {
        await using var first = await ServerProcess.StartAsync();
        var setup = new KubectlClient(Kubectl.V132, first.Kubeconfig, Path.Combine(_cache.FullName, "setup"));
        var suite = UniqueSuite();
        var name = $"{suite}-w";
        Check(await setup.RunAsync("create -f -", Cluster(name, labels: new Dictionary<string, string> { ["suite"] = suite })));
        var kubectl = new KubectlClient(binary, first.Kubeconfig, Path.Combine(_cache.FullName, "test"));

        int? exit;
        string firstWatch;
        await using (var watch = kubectl.Start($"get clusters -l suite={suite} -w"))
        {
            Assert.NotNull(await watch.WaitForStdoutAsync(l => l.StartsWith(name, StringComparison.Ordinal)));
            await first.StopAsync();
            exit = await watch.WaitForExitAsync(20);
            firstWatch = watch.ToString();
            Assert.True(exit == 0, $"kubectl get -w did not exit 0 within 20 s of the server stopping: {firstWatch}");
            Assert.Equal("", watch.Stderr);
            Assert.All(watch.StdoutLines, l => Assert.Equal(4, Cells(l).Length));
            Assert.Equal(["NAME", "SERVER", "CIDR", "AGE"], Cells(watch.StdoutLines[0]));
        }

        await using var second = await ServerProcess.StartAsync(first.DataDir, first.Port);
        await using var again = kubectl.Start($"get clusters -l suite={suite} -w");
        Assert.NotNull(await again.WaitForStdoutAsync(l => l.StartsWith(name, StringComparison.Ordinal)));
        Check(await setup.RunAsync($"label cluster {name} after=restart"));
        var changed = await again.WaitForStdoutAsync(_ => again.StdoutLines.Count(l => l.StartsWith(name, StringComparison.Ordinal)) > 1);
        Assert.True(changed is not null, "the watch on the restarted server did not print the change: " + again);
        Assert.Equal("", again.Stderr);
    }

    private static void Check(Kubectl.Result r) => Assert.True(r.ExitCode == 0, "kubectl failed: " + r);
}
