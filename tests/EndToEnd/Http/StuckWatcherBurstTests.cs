using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace ClusterRegistry.Tests.EndToEnd.Http;

/// <summary>
/// When a burst of watchers is cut for not reading, the server gives the memory they held back to the operating
/// system instead of keeping its peak size (the figures are bench/hostile.py's; this proves the mechanism runs).
/// </summary>
public sealed class StuckWatcherBurstTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const int StuckWatchers = 40; // above the server's burst threshold of 32
    private readonly HttpClient _http = fixture.Client;

    [Fact]
    public async Task Watch_BurstOfStuckWatchersCut_ServerReturnsTheirMemory()
    {
        var name = Api.UniqueName("wburst");
        var rv = Api.ResourceVersion(await Api.ListAsync(_http, "limit=1"));
        var stuck = new List<(TcpClient Tcp, SslStream Tls)>();
        try
        {
            for (var i = 0; i < StuckWatchers; i++)
            {
                var (tcp, tls) = await RawHttp.ConnectAsync(fixture.Server.Port, 4096);
                stuck.Add((tcp, tls));
                await tls.WriteAsync(Encoding.ASCII.GetBytes(
                    $"GET {Api.Collection}?watch=true&resourceVersion={rv}&timeoutSeconds=600 HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                    $"Authorization: Bearer {fixture.Server.Token}\r\n\r\n"));
                Assert.True(await tls.ReadAsync(new byte[256]) > 0);
            }

            await Api.CreateAsync(_http, name);
            var padding = new string('p', 16 * 1024);
            var deadline = DateTime.UtcNow.AddMinutes(3);
            for (var i = 0; Cut() < StuckWatchers && DateTime.UtcNow < deadline; i++)
                await Api.PatchAsync(_http, Api.Item(name), $"{{\"metadata\":{{\"annotations\":{{\"seq\":\"{i}\",\"pad\":\"{padding}{i}\"}}}}}}");
            Assert.Equal(StuckWatchers, Cut());

            // The return runs once the cuts have stopped for a few seconds.
            var returned = DateTime.UtcNow.AddSeconds(60);
            while (!fixture.Server.Output.Contains("Returned memory to the OS after", StringComparison.Ordinal) && DateTime.UtcNow < returned)
                await Task.Delay(250);
            Assert.Matches(@"Returned memory to the OS after \d+ watchers were cut", fixture.Server.Output);
        }
        finally
        {
            foreach (var (tcp, tls) in stuck)
            {
                await tls.DisposeAsync();
                tcp.Dispose();
            }
        }
    }

    private int Cut()
    {
        var output = fixture.Server.Output;
        var count = 0;
        for (var at = output.IndexOf("Forcing watch close", StringComparison.Ordinal); at >= 0;
             at = output.IndexOf("Forcing watch close", at + 1, StringComparison.Ordinal))
            count++;
        return count;
    }
}
