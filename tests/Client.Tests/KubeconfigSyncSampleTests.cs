using System.Diagnostics;
using System.Text;
using ClusterRegistry.Client;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.Client;

/// <summary>
/// The sample controller (samples/KubeconfigSync) as a user runs it, against the real server: the kubeconfig file it
/// keeps follows the clusters matching its selector, and the real kubectl reads it.
/// </summary>
[Collection(RegistryServerCollection.Name)]
public sealed class KubeconfigSyncSampleTests(RegistryServerFixture fixture) : IDisposable
{
    private readonly ClusterRegistryClient _client = fixture.CreateClient();
    private readonly string _dir = Directory.CreateTempSubdirectory("cr-sync-").FullName;

    public void Dispose()
    {
        _client.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static string SampleDll
    {
        get
        {
            var serverDll = ServerProcess.ServerDll; // src/Api/bin/<config>/net10.0/clusterregistry.dll
            var config = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(serverDll))!);
            var root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(serverDll)!, "..", "..", "..", "..", ".."));
            return Path.Combine(root, "samples", "KubeconfigSync", "bin", config, "net10.0", "kubeconfig-sync.dll");
        }
    }

    [Fact]
    public async Task Sample_KeepsKubeconfigOfSelectedClusters_ReadableByKubectl()
    {
        var label = TestClusters.UniqueValue();
        var first = TestClusters.UniqueName("sync");
        var second = TestClusters.UniqueName("sync");
        var outsider = TestClusters.UniqueName("sync");
        await _client.CreateAsync(TestClusters.New(first, new Dictionary<string, string> { ["fleet"] = label }));
        await _client.CreateAsync(TestClusters.New(second, new Dictionary<string, string> { ["fleet"] = label }, address: "https://192.0.2.30:8443"));
        await _client.CreateAsync(TestClusters.New(outsider, new Dictionary<string, string> { ["fleet"] = "other" }));
        var output = Path.Combine(_dir, "fleet.kubeconfig");
        var kubectl = new Kubectl(Kubectl.V132, output, Path.Combine(_dir, "kubectl-cache"));

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { SampleDll, "--kubeconfig", fixture.Server.Kubeconfig, "--selector", $"fleet={label}", "--output", output })
            psi.ArgumentList.Add(a);
        using var sample = Process.Start(psi)!;
        var log = new StringBuilder();
        sample.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        sample.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        sample.BeginOutputReadLine();
        sample.BeginErrorReadLine();
        try
        {
            async Task<string[]> ContextsAsync()
            {
                if (!File.Exists(output)) return [];
                var r = await kubectl.RunAsync("config get-contexts -o name");
                Assert.True(r.ExitCode == 0, r.ToString());
                return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order().ToArray();
            }
            string Describe() { lock (log) return $"sample exited: {sample.HasExited}\n{log}"; }

            string[] seen = [];
            await TestClusters.WaitUntilAsync(async () => (seen = await ContextsAsync()).SequenceEqual(new[] { first, second }.Order()),
                () => $"contexts [{string.Join(",", seen)}]\n{Describe()}", seconds: 60);
            var server = await kubectl.RunAsync($"config view -o 'jsonpath={{.clusters[?(@.name==\"{second}\")].cluster.server}}'");
            Assert.Equal("https://192.0.2.30:8443", server.Stdout.Trim());

            // Membership changes reach the file: one cluster leaves the selection, another joins, one is deleted.
            await _client.MergePatchAsync(outsider, new { metadata = new { labels = new Dictionary<string, string> { ["fleet"] = label } } });
            await _client.DeleteAsync(first);
            await TestClusters.WaitUntilAsync(async () => (seen = await ContextsAsync()).SequenceEqual(new[] { second, outsider }.Order()),
                () => $"contexts [{string.Join(",", seen)}]\n{Describe()}", seconds: 60);
            Assert.False(File.Exists(output + ".tmp"));
        }
        finally
        {
            if (!sample.HasExited)
            {
                Process.Start("kill", ["-TERM", sample.Id.ToString()])?.WaitForExit();
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try
                {
                    await sample.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    sample.Kill(entireProcessTree: true);
                }
            }
        }
        Assert.True(sample.ExitCode == 0, $"exit {sample.ExitCode}\n{log}");
    }
}
