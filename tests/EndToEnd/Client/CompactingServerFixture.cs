using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Client;

/// <summary>A server that compacts its history every second, so a resourceVersion from a few seconds ago is expired.</summary>
public sealed class CompactingServerFixture : IAsyncLifetime
{
    public ServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await ServerProcess.StartAsync(null, null, "--compaction-interval", "1s");

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>
    /// A resourceVersion the server has compacted away: the list's revision, then writes until a raw watch from it
    /// answers 410 (at most 30 s).
    /// </summary>
    public async Task<string> ExpiredResourceVersionAsync(string label)
    {
        using var http = Server.CreateClient();
        var name = Api.UniqueName("expiry");
        await Api.CreateAsync(http, name, new Dictionary<string, string> { ["exp"] = label });
        var old = Api.ResourceVersion(await Api.ListAsync(http, $"labelSelector=exp%3D{label}"));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        for (var i = 0; DateTime.UtcNow < deadline; i++)
        {
            await Api.PatchAsync(http, Api.Item(name), "{\"metadata\":{\"annotations\":{\"tick\":\"" + i + "\"}}}");
            using var watch = await http.GetAsync($"{Api.Collection}?watch=1&resourceVersion={old}&timeoutSeconds=1", HttpCompletionOption.ResponseHeadersRead);
            if ((await watch.Content.ReadAsStringAsync()).Contains("\"code\":410", StringComparison.Ordinal)) return old;
            await Task.Delay(500);
        }
        throw new Xunit.Sdk.XunitException($"resourceVersion {old} was not compacted within 30 s");
    }
}
