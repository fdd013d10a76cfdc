using System.Net;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Http;

/// <summary>The real server's request log (every request, from -v 3) names a user, or "-", on every line: never the template's literal.</summary>
public sealed class RequestLogTests : IAsyncLifetime
{
    private ServerProcess _server = null!;

    public async Task InitializeAsync() => _server = await ServerProcess.StartAsync(null, null, "-v", "3");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>Waits for the server's log line for <paramref name="request"/> (logged once the response is written).</summary>
    private async Task<string> LogLineAsync(string request)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var line = _server.Output.Split('\n').FirstOrDefault(l => l.Contains(request, StringComparison.Ordinal));
            if (line is not null) return line;
            await Task.Delay(50, cts.Token);
        }
    }

    [Fact]
    public async Task RequestLog_HealthProbeAndFailedAuthentication_PrintDashNotTemplate()
    {
        using var anonymous = _server.CreateClient(authenticated: false);
        using var admin = _server.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/livez")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/version")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/apis")).StatusCode);

        var probe = await LogLineAsync("GET /livez");
        var failed = await LogLineAsync("GET /version");
        var authenticated = await LogLineAsync("GET /apis ");
        Assert.DoesNotContain("{User}", _server.Output);
        Assert.Contains("user=- -> 200", probe);
        Assert.Contains("user=- -> 401", failed);
        Assert.DoesNotContain("user=- ", authenticated);
    }
}
