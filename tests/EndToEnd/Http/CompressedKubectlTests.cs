using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Http;

/// <summary>
/// kubectl reads the gzip-compressed large list and table (the compression itself is tested in process:
/// tests/Api.Tests/ResponseCompressionTests).
/// </summary>
public sealed class CompressedKubectlTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private const int Objects = 3;
    private readonly string _label = Api.UniqueValue();
    private string Selector => $"labelSelector=gzip%3D{_label}";

    /// <summary>Three clusters of about 60 KB each: one is below the threshold, their list is above it.</summary>
    public async Task InitializeAsync()
    {
        for (var i = 0; i < Objects; i++)
        {
            var cluster = Api.NewCluster(Api.UniqueName("gzip"), new Dictionary<string, string> { ["gzip"] = _label });
            cluster["metadata"]!["annotations"] = new JsonObject { ["example.com/blob"] = new string((char)('a' + i), 60_000) };
            await Api.CreateAsync(fixture.Client, cluster);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Kubectl_ReadsTheCompressedListAndTable()
    {
        var cache = Directory.CreateTempSubdirectory("kubectl-gzip-");
        try
        {
            var kubectl = new Kubectl(Kubectl.V132, fixture.Server.Kubeconfig, cache.FullName);
            var json = await kubectl.RunAsync($"get clusters -l gzip={_label} -o json");
            Assert.True(json.ExitCode == 0, json.ToString());
            var items = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("items").EnumerateArray().ToArray();
            Assert.Equal(Objects, items.Length);
            Assert.All(items, i => Assert.Equal(60_000,
                i.GetProperty("metadata").GetProperty("annotations").GetProperty("example.com/blob").GetString()!.Length));

            var table = await kubectl.RunAsync($"get clusters -l gzip={_label} --show-labels");
            Assert.True(table.ExitCode == 0, table.ToString());
            Assert.Equal(Objects, table.Stdout.Split('\n').Count(l => l.StartsWith("gzip-", StringComparison.Ordinal)));
        }
        finally
        {
            cache.Delete(true);
        }
    }
}
