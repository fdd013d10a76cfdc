using System.Text.Json;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Http;

/// <summary>
/// kubectl reads the gzip-compressed large list and table (the compression itself is tested in process:
/// tests/Api.Tests/ResponseCompressionTests).
/// </summary>
public sealed class CompressedKubectlTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private const int Objects = LargeClusters.Count;
    private readonly string _label = Api.UniqueValue();

    public Task InitializeAsync() => LargeClusters.CreateAsync(fixture.Client, _label);

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
            Assert.All(items, i => Assert.Equal(LargeClusters.BlobLength,
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
