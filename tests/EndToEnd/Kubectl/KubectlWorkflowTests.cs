using System.Text.RegularExpressions;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using static ClusterRegistry.Tests.EndToEnd.KubectlSuite.ClusterManifests;

namespace ClusterRegistry.Tests.EndToEnd.KubectlSuite;

/// <summary>
/// What a kubectl user does next, with kubectl 1.32 and 1.20 against the real server: an edit that saves an invalid
/// change and is retried, custom columns and sorting on labels, timestamps and status, waiting for a status
/// condition, and <c>kubectl proxy</c> in front of the server.
/// </summary>
[Requires(Prerequisite.Kubectl120)]
public sealed partial class KubectlWorkflowTests(KubectlServerFixture fixture) : IClassFixture<KubectlServerFixture>, IDisposable
{
    public static TheoryData<string> Binaries => new() { Kubectl.V132, Kubectl.V120 };

    private const string Invalid = "not a valid address!";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("cr-kflow-");

    public void Dispose() => _dir.Delete(recursive: true);

    private KubectlClient Setup => fixture.Setup;

    private static void Check(Kubectl.Result r) => Assert.True(r.ExitCode == 0, "kubectl failed: " + r);

    /// <summary>
    /// An EDITOR that sets the first serverAddress: invalid on its first <paramref name="invalidCalls"/> calls, valid
    /// afterwards; it keeps a copy of each file kubectl opened it on (opened-1.yaml, opened-2.yaml...).
    /// </summary>
    private Dictionary<string, string> Editor(string valid, int invalidCalls)
    {
        File.Delete(Path.Combine(_dir.FullName, "count"));
        var script = Path.Combine(_dir.FullName, "editor.sh");
        File.WriteAllText(script, $$"""
            #!/bin/sh
            n=$(cat "{{_dir.FullName}}/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "{{_dir.FullName}}/count"
            cp "$1" "{{_dir.FullName}}/opened-$n.yaml"
            if [ "$n" -le {{invalidCalls}} ]; then addr='"{{Invalid}}"'; else addr='{{valid}}'; fi
            sed -i "s/^\( *\)serverAddress: .*/\1serverAddress: $addr/" "$1"
            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // kubectl keeps the rejected file in TMPDIR: the test's own directory.
        return new() { ["EDITOR"] = script, ["KUBE_EDITOR"] = script, ["TMPDIR"] = _dir.FullName };
    }

    private async Task<string> AddressAsync(string name)
    {
        var r = await Setup.RunAsync($"get cluster {name} -o jsonpath='{{.spec.kubernetesApiEndpoints.serverEndpoints[0].serverAddress}}'");
        Check(r);
        return r.Stdout;
    }

    [Theory]
    [MemberData(nameof(Binaries))]
    public async Task Edit_InvalidChangeThenValidRetry_ReopensWithTheCauseAndSaves(string binary)
    {
        var name = UniqueName("editretry");
        Check(await Setup.RunAsync("create -f -", Cluster(name, "192.0.2.1:6443")));

        var r = await fixture.For(binary).RunWithEnvironmentAsync($"edit cluster {name}", Editor("198.51.100.7:6443", invalidCalls: 1));

        Check(r);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} edited", r.Stdout);
        var reopened = await File.ReadAllTextAsync(Path.Combine(_dir.FullName, "opened-2.yaml"));
        Assert.Contains($"# clusters.clusterregistry.k8s.io \"{name}\" was not valid:", reopened);
        Assert.Contains($"# * spec.kubernetesApiEndpoints.serverEndpoints[0].serverAddress: Invalid value: \"{Invalid}\": must be", reopened);
        Assert.Equal("198.51.100.7:6443", await AddressAsync(name));
    }

    [Theory]
    [MemberData(nameof(Binaries))]
    public async Task Edit_OnlyInvalidChanges_FailsWith422KeepsTheFileAndASecondEditSucceeds(string binary)
    {
        var name = UniqueName("editkeep");
        Check(await Setup.RunAsync("create -f -", Cluster(name, "192.0.2.2:6443")));
        var kubectl = fixture.For(binary);

        var failed = await kubectl.RunWithEnvironmentAsync($"edit cluster {name}", Editor("unused", invalidCalls: int.MaxValue));

        Assert.True(failed.ExitCode != 0, "the invalid edit succeeded: " + failed);
        Assert.Contains($"error: clusters.clusterregistry.k8s.io \"{name}\" is invalid", failed.Stderr);
        var kept = KeptFile().Match(failed.Stderr);
        Assert.True(kept.Success, "kubectl did not say where it kept the changes: " + failed);
        var copy = await File.ReadAllTextAsync(kept.Groups[1].Value);
        Assert.Contains($"serverAddress: \"{Invalid}\"", copy);
        Assert.Contains($"serverAddress: Invalid value: \"{Invalid}\": must be", copy);
        Assert.Equal("192.0.2.2:6443", await AddressAsync(name));

        // The user fixes the kept file and sends it, or simply edits again.
        await File.WriteAllTextAsync(kept.Groups[1].Value, copy.Replace($"serverAddress: \"{Invalid}\"", "serverAddress: 198.51.100.8:6443"));
        var replaced = await kubectl.RunAsync($"replace -f {kept.Groups[1].Value}");
        Check(replaced);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} replaced", replaced.Stdout);
        Assert.Equal("198.51.100.8:6443", await AddressAsync(name));
        var second = await kubectl.RunWithEnvironmentAsync($"edit cluster {name}", Editor("198.51.100.9:6443", invalidCalls: 0));
        Check(second);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} edited", second.Stdout);
        Assert.Equal("198.51.100.9:6443", await AddressAsync(name));
    }

    /// <summary>
    /// Three clusters created a second apart, in an order that is neither name, label nor status order; all have a
    /// Ready condition (kubectl cannot sort on a field that no object has: kubernetes/kubectl#1343).
    /// </summary>
    private async Task<(string Suite, string[] Names)> ArrangeSortableAsync()
    {
        var suite = UniqueSuite();
        // Four different orders: creation m, z, a; tier label z, a, m; Ready status m, a, z; name a, m, z.
        (string Name, string Tier, string Ready, string Address)[] clusters =
            [($"{suite}-m", "c", "False", "192.0.2.3:6443"), ($"{suite}-z", "a", "Unknown", "192.0.2.1:6443"), ($"{suite}-a", "b", "True", "192.0.2.2:6443")];
        foreach (var c in clusters)
        {
            Check(await Setup.RunAsync("create -f -", Cluster(c.Name, c.Address, labels: new Dictionary<string, string> { ["suite"] = suite, ["tier"] = c.Tier })));
            Check(await Setup.RunAsync($"patch cluster {c.Name} --subresource=status --type=merge -p " +
                $"'{{\"status\":{{\"conditions\":[{{\"type\":\"Ready\",\"status\":\"{c.Ready}\",\"reason\":\"Probe{c.Ready}\"}}]}}}}'"));
            await Task.Delay(1100); // creationTimestamp has one-second resolution
        }
        return (suite, clusters.Select(c => c.Name).ToArray());
    }

    [Theory]
    [MemberData(nameof(Binaries))]
    public async Task Get_CustomColumnsWithStatusFieldsAndSortBy_PrintTheRequestedColumnsInTheRequestedOrder(string binary)
    {
        var (suite, names) = await ArrangeSortableAsync();
        var (m, z, a) = (names[0], names[1], names[2]);
        var kubectl = fixture.For(binary);
        const string columns = "NAME:.metadata.name,TIER:.metadata.labels.tier,READY:.status.conditions[0].status," +
                               "REASON:.status.conditions[0].reason,ADDRESS:.spec.kubernetesApiEndpoints.serverEndpoints[0].serverAddress";

        var custom = await kubectl.RunAsync($"get clusters -l suite={suite} -o 'custom-columns={columns}'");
        var byCreation = await kubectl.RunAsync($"get clusters -l suite={suite} --sort-by=.metadata.creationTimestamp");
        var byLabel = await kubectl.RunAsync($"get clusters -l suite={suite} --sort-by=.metadata.labels.tier");
        var byStatus = await kubectl.RunAsync($"get clusters -l suite={suite} '--sort-by=.status.conditions[0].status' -o 'custom-columns={columns}'");
        var byName = await kubectl.RunAsync($"get clusters -l suite={suite} --sort-by=.metadata.name -o name");

        Check(custom);
        Assert.Equal(["NAME", "TIER", "READY", "REASON", "ADDRESS"], Header(custom.Stdout));
        Assert.Equal([a, "b", "True", "ProbeTrue", "192.0.2.2:6443"], Row(custom.Stdout, a) ?? []);
        Assert.Equal([z, "a", "Unknown", "ProbeUnknown", "192.0.2.1:6443"], Row(custom.Stdout, z) ?? []);
        Assert.Equal([m, "c", "False", "ProbeFalse", "192.0.2.3:6443"], Row(custom.Stdout, m) ?? []);
        Check(byCreation);
        Assert.Equal([m, z, a], FirstColumn(byCreation.Stdout));
        Assert.Equal(["NAME", "SERVER", "CIDR", "AGE"], Header(byCreation.Stdout));
        Check(byLabel);
        Assert.Equal([z, a, m], FirstColumn(byLabel.Stdout));
        Check(byStatus);
        Assert.Equal([m, a, z], FirstColumn(byStatus.Stdout));
        Assert.Equal("False", Row(byStatus.Stdout, m)?[2]);
        Check(byName);
        Assert.Equal([$"cluster.clusterregistry.k8s.io/{a}", $"cluster.clusterregistry.k8s.io/{m}", $"cluster.clusterregistry.k8s.io/{z}"],
            Lines(byName.Stdout));
    }

    [Theory]
    [MemberData(nameof(Binaries))]
    public async Task Wait_ForConditionReady_ReturnsOnceTheStatusIsPatchedAndTimesOutOtherwise(string binary)
    {
        var (ready, never) = (UniqueName("waitready"), UniqueName("waitnever"));
        Check(await Setup.RunAsync("create -f -", Documents([Cluster(ready), Cluster(never)])));
        var kubectl = fixture.For(binary);
        await using var wait = kubectl.Start($"wait --for=condition=Ready clusters/{ready} --timeout=60s -v=6");
        // The condition must arrive as a change, not be there already: patch once kubectl's watch is answered.
        var watching = await wait.WaitForStderrAsync(Aggregated.AggregatedKubectlTests.WatchEstablished, 60);
        Assert.True(watching is not null, $"kubectl wait never watched: {wait}");

        Check(await Setup.RunAsync($"patch cluster {ready} --subresource=status --type=merge -p " +
            "'{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}'"));
        var exit = await wait.WaitForExitAsync(30);
        var timedOut = await kubectl.RunAsync($"wait --for=condition=Ready clusters/{never} --timeout=2s");

        Assert.True(exit == 0, $"kubectl wait did not end with 0 within 30 s of the patch: {wait}");
        Assert.Contains($"cluster.clusterregistry.k8s.io/{ready} condition met", wait.Stdout);
        Assert.Equal(1, timedOut.ExitCode);
        Assert.Contains($"timed out waiting for the condition on clusters/{never}", timedOut.Stderr);
    }

    [Theory]
    [MemberData(nameof(Binaries))]
    public async Task Proxy_InFrontOfTheServer_ServesGetListApplyAndWatch(string binary)
    {
        var port = ServerProcess.FreePort();
        await using var proxy = fixture.For(binary).Start($"proxy --port={port}");
        Assert.NotNull(await proxy.WaitForStdoutAsync(l => l.Contains($"Starting to serve on 127.0.0.1:{port}")));
        var kubeconfig = Path.Combine(_dir.FullName, "proxy.kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, $$$"""
            apiVersion: v1
            kind: Config
            clusters: [{name: proxy, cluster: {server: "http://127.0.0.1:{{{port}}}"}}]
            contexts: [{name: proxy, context: {cluster: proxy}}]
            current-context: proxy
            """);
        var viaProxy = new KubectlClient(binary, kubeconfig, Path.Combine(_dir.FullName, "proxy-cache"));
        var suite = UniqueSuite();
        var (name, other) = ($"{suite}-p", $"{suite}-q");
        var labels = new Dictionary<string, string> { ["suite"] = suite };

        var created = await viaProxy.RunAsync("apply -f -", Cluster(name, "192.0.2.10:6443", labels: labels));
        var unchanged = await viaProxy.RunAsync("apply -f -", Cluster(name, "192.0.2.10:6443", labels: labels));
        var serverSide = await viaProxy.RunAsync("apply --server-side -f -", Cluster(other, "192.0.2.11:6443", labels: labels));
        var get = await viaProxy.RunAsync($"get cluster {name}");
        await using var watch = viaProxy.Start($"get clusters -l suite={suite} -w");
        var listed = await watch.WaitForStdoutAsync(l => l.StartsWith(other, StringComparison.Ordinal));
        Check(await viaProxy.RunAsync($"label cluster {name} step=two"));
        // The label change arrives as a second row for the cluster.
        var watched = await watch.WaitForStdoutAsync(_ => watch.StdoutLines.Count(l => l.StartsWith(name, StringComparison.Ordinal)) > 1);

        Check(created);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} created", created.Stdout);
        Check(unchanged);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} unchanged", unchanged.Stdout);
        Check(serverSide);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{other} serverside-applied", serverSide.Stdout);
        Check(get);
        Assert.Equal([name, "192.0.2.10:6443"], Row(get.Stdout, name)?.Take(2));
        Assert.True(listed is not null, "the watch through the proxy did not list: " + watch);
        Assert.True(watched is not null, "the watch through the proxy did not print the label change: " + watch);
        Assert.Equal("two", (await Setup.RunAsync($"get cluster {name} -o jsonpath='{{.metadata.labels.step}}'")).Stdout);
    }

    [GeneratedRegex("A copy of your changes has been stored to \"([^\"]+)\"")]
    private static partial Regex KeptFile();
}
