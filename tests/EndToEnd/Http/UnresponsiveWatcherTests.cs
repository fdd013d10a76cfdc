using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace ClusterRegistry.Tests.EndToEnd.Http;

/// <summary>
/// A watcher whose client stops reading is closed by the server once it falls a bounded number of events behind, as
/// kube-apiserver closes unresponsive watchers, while a reading watcher gets every event in order.
/// </summary>
[Requires(Prerequisite.PrometheusParser)]
public sealed class UnresponsiveWatcherTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const int Updates = 800;
    private readonly HttpClient _http = fixture.Client;

    [Fact]
    public async Task Watch_ClientThatStopsReading_IsClosedWhileAReadingWatcherGetsEveryEvent()
    {
        var sel = Api.UniqueValue();
        var name = Api.UniqueName("wstuck");
        var rv = Api.ResourceVersion(await Api.ListAsync(_http, "limit=1"));

        // The stuck client: a small receive window and no reads after the response headers.
        var (tcp, tls) = await RawHttp.ConnectAsync(fixture.Server.Port, 4096);
        using var _ = tcp;
        await using var __ = tls;
        await tls.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET {Api.Collection}?watch=true&resourceVersion={rv}&timeoutSeconds=600 HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
            $"Authorization: Bearer {fixture.Server.Token}\r\n\r\n"));
        var head = new byte[256];
        Assert.True(await tls.ReadAsync(head) > 0);

        await using var healthy = await WatchStream.OpenAsync(_http, $"watch=true&resourceVersion={rv}&labelSelector=stuck%3D{sel}&timeoutSeconds=600");
        var reader = Task.Run(async () =>
        {
            var seen = new List<int>();
            while (seen.Count < Updates)
            {
                var e = await healthy.NextNonBookmarkAsync(TimeSpan.FromSeconds(120));
                var meta = e.GetProperty("object").GetProperty("metadata");
                if (meta.TryGetProperty("annotations", out var a) && a.TryGetProperty("seq", out var seq))
                    seen.Add(int.Parse(seq.GetString()!, System.Globalization.CultureInfo.InvariantCulture));
            }
            return seen;
        });

        await Api.CreateAsync(_http, name, new Dictionary<string, string> { ["stuck"] = sel });
        var padding = new string('p', 16 * 1024);
        for (var i = 0; i < Updates; i++)
            await Api.PatchAsync(_http, Api.Item(name), $"{{\"metadata\":{{\"annotations\":{{\"seq\":\"{i}\",\"pad\":\"{padding}{i}\"}}}}}}");

        Assert.Equal(Enumerable.Range(0, Updates), await reader);

        // The stuck watcher was cut: reading it now drains at most what was in flight, then the connection ends.
        var received = 0L;
        var buffer = new byte[64 * 1024];
        using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ended = false;
        try
        {
            while (true)
            {
                var n = await tls.ReadAsync(buffer, drain.Token);
                if (n == 0) { ended = true; break; }
                received += n;
            }
        }
        catch (IOException)
        {
            ended = true; // reset by the server
        }
        catch (OperationCanceledException)
        {
        }
        Assert.True(ended, $"the watcher that stopped reading was still open after 60 s ({received} bytes drained)");
        Assert.True(received < (long)Updates * padding.Length, $"the stuck watcher received every event ({received} bytes): it was never cut");
        Assert.Contains("Forcing watch close due to unresponsiveness", fixture.Server.Output, StringComparison.Ordinal);

        // Counted before the connection is dropped, as kube-apiserver counts the watchers it terminates.
        var scrape = await Observability.PrometheusScrape.ParseAsync(await _http.GetStringAsync("/metrics"));
        Assert.True(scrape.Sum("apiserver_terminated_watchers_total", ("resource", "clusters.clusterregistry.k8s.io")) >= 1);
    }
}
