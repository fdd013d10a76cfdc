using System.Net;
using System.Text.Json;

namespace ClusterRegistry.Tests.Http;

/// <summary>
/// Graceful shutdown as kube-apiserver's <c>--shutdown-delay-duration</c> does it: not ready at once, still serving
/// (reads, writes, running watches) for the delay, then watches end cleanly and the server stops.
/// </summary>
public sealed class ShutdownTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task DuringTheShutdownDelay_ReadyzFails_AndRequestsAndWatchesAreStillServed()
    {
        await using var server = await InProcessServer.StartAsync("--shutdown-delay-duration", "6s");
        using var http = server.CreateClient();
        Assert.Equal("ok", await (await http.GetAsync("/readyz")).Content.ReadAsStringAsync());
        var sel = Api.UniqueValue();
        var rv = Api.ResourceVersion(await Api.ListAsync(http, "labelSelector=" + Api.Enc("s=" + sel)));
        await using var watch = await WatchStream.OpenAsync(http, $"watch=true&resourceVersion={rv}&labelSelector=s%3D{sel}");

        var stopped = server.StopAsync();

        using (var readyz = await http.GetAsync("/readyz?verbose"))
        {
            var body = await readyz.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.InternalServerError, readyz.StatusCode);
            Assert.Contains("[-]shutdown failed", body);
        }
        // Liveness is not readiness: the process is healthy while it drains.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/livez")).StatusCode);
        var name = Api.UniqueName("drain");
        await Api.CreateAsync(http, name, new Dictionary<string, string> { ["s"] = sel });
        Assert.Equal(name, Api.Name(await Api.GetAsync(http, name)));
        var added = await watch.NextNonBookmarkAsync(Wait);
        Assert.Equal("ADDED", added.GetProperty("type").GetString());
        Assert.Equal(name, Api.Name(added.GetProperty("object")));

        // After the delay the watch ends cleanly (no ERROR event) and the host stops.
        while (await watch.NextEventAsync(Wait) is { } e) Assert.Equal("BOOKMARK", e.GetProperty("type").GetString());
        await stopped.WaitAsync(Wait);
    }

    /// <summary>
    /// SIGTERM first fires ApplicationStopping, and only then does the host stop its services: /readyz fails from the
    /// first moment, before the shutdown delay has even begun.
    /// </summary>
    [Fact]
    public async Task ApplicationStopping_ReadyzFailsBeforeTheHostStops()
    {
        await using var server = await InProcessServer.StartAsync();
        using var http = server.CreateClient();
        Assert.Equal("ok", await (await http.GetAsync("/readyz")).Content.ReadAsStringAsync());

        server.StopApplication();

        using var readyz = await http.GetAsync("/readyz?verbose");
        Assert.Equal(HttpStatusCode.InternalServerError, readyz.StatusCode);
        Assert.Contains("[-]shutdown failed", await readyz.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task WithoutADelay_RunningWatchesEndWhenTheServerStops()
    {
        await using var server = await InProcessServer.StartAsync();
        using var http = server.CreateClient();
        var rv = Api.ResourceVersion(await Api.ListAsync(http, "limit=1"));
        await using var watch = await WatchStream.OpenAsync(http, $"watch=true&resourceVersion={rv}&labelSelector=none%3D{Api.UniqueValue()}");

        await server.StopAsync().WaitAsync(Wait);

        while (await watch.NextEventAsync(Wait) is { } e) Assert.Equal("BOOKMARK", e.GetProperty("type").GetString());
    }
}
