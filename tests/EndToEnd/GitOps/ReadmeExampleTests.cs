namespace ClusterRegistry.Tests.EndToEnd.GitOps;

/// <summary>
/// The README's "Try it out" manifest, read from README.md itself, applied again and again with client-side
/// apply: created, then unchanged, with no warning, with kubectl 1.32 and 1.20.
/// </summary>
[Requires(Prerequisite.Kubectl120)]
public sealed class ReadmeExampleTests(GitOpsFixture fx) : IClassFixture<GitOpsFixture>
{
    /// <summary>The here-document of the README's first <c>kubectl apply -f - &lt;&lt;EOF</c>, under a name per test.</summary>
    private static string ReadmeExample(string name)
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "ClusterRegistry.sln"))) dir = Path.GetDirectoryName(dir)!;
        var lines = File.ReadAllLines(Path.Combine(dir, "README.md"));
        var start = Array.FindIndex(lines, l => l.Trim() == "kubectl apply -f - <<EOF");
        Assert.True(start >= 0, "README.md has no `kubectl apply -f - <<EOF` example");
        var end = Array.FindIndex(lines, start + 1, l => l.Trim() == "EOF");
        var manifest = string.Join("\n", lines[(start + 1)..end]) + "\n";
        Assert.Contains("name: test-cluster\n", manifest);
        return manifest.Replace("name: test-cluster\n", $"name: {name}\n", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.32")]
    [InlineData("1.20")]
    public async Task ApplyTwice_ReadmeExample_CreatedThenUnchangedWithoutWarnings(string version)
    {
        var kubectl = version == "1.32" ? fx.Kubectl : fx.Kubectl120;
        var name = "readme-" + version.Replace(".", "", StringComparison.Ordinal);
        var manifest = ReadmeExample(name);

        var first = await kubectl.RunAsync("apply -f -", manifest);
        var second = await kubectl.RunAsync("apply -f -", manifest);
        var third = await kubectl.RunAsync("apply -f -", manifest);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} created", first.Stdout);
        foreach (var again in new[] { second, third })
        {
            Assert.True(again.ExitCode == 0, again.ToString());
            Assert.Equal($"cluster.clusterregistry.k8s.io/{name} unchanged\n", again.Stdout);
            Assert.True(again.Stderr.Length == 0, again.ToString());
        }
        Assert.True(first.Stderr.Length == 0, first.ToString());
    }
}
