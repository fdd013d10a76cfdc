using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Http;

/// <summary>
/// After a burst of requests, once the server has gone quiet, it gives the memory the burst left behind (freed GC
/// regions, glibc arenas) back to the operating system instead of keeping its peak size (the figures are
/// bench/rss-probe.sh's, ADR-035; this proves the mechanism runs, and only once the requests stop).
/// </summary>
public sealed class RequestBurstMemoryTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly HttpClient _http = fixture.Client;

    [Fact]
    public async Task Requests_BurstThenQuiet_ServerReturnsMemory()
    {
        var name = Api.UniqueName("rburst");
        await Api.CreateAsync(_http, name);
        var padding = new string('p', 64 * 1024);
        // Rounds of large patches (each allocates its body, the patched object and the response several times over)
        // until the server has seen a burst, then a pause for it to notice the quiet; the deadline only bounds a
        // broken server.
        var deadline = DateTime.UtcNow.AddMinutes(4);
        for (var round = 0; !Returned() && DateTime.UtcNow < deadline; round++)
        {
            for (var i = 0; i < 100; i++)
                await Api.PatchAsync(_http, Api.Item(name), $"{{\"metadata\":{{\"annotations\":{{\"pad\":\"{padding}{round}-{i}\"}}}}}}");
            var quiet = DateTime.UtcNow.AddSeconds(15);
            while (!Returned() && DateTime.UtcNow < quiet) await Task.Delay(250);
        }
        Assert.Matches(@"Returned memory to the OS after a burst of requests \(\d+ MiB allocated\): resident \d+ MiB -> \d+ MiB",
            fixture.Server.Output);
    }

    private bool Returned() => fixture.Server.Output.Contains("Returned memory to the OS after a burst of requests", StringComparison.Ordinal);
}
