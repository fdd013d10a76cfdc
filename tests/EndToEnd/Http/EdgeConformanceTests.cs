using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Http;

/// <summary>Small places where the HTTP edge must answer as kube-apiserver does.</summary>
public sealed class EdgeConformanceTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly HttpClient _http = fixture.Client;

    [Fact]
    public async Task Watch_FromAResourceVersionFarInTheFuture_Returns504TooLargeResourceVersion()
    {
        using var response = await _http.GetAsync(Api.Collection + "?watch=true&resourceVersion=999999999");

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.GatewayTimeout, "Timeout");
        Assert.StartsWith("Too large resource version", Api.Message(status), StringComparison.Ordinal);
        Assert.Equal("ResourceVersionTooLarge", status.GetProperty("details").GetProperty("causes")[0].GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("Bearer  {0}")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    public async Task BearerHeaderWithoutATokenInItsPlace_Returns401(string format)
    {
        var header = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, fixture.Server.Token);

        var response = await RawHttp.SendAsync(fixture.Server.Port, "GET", Api.Collection, null, headers: [$"Authorization: {header}"]);

        Assert.Equal(401, response.StatusCode);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(20)]
    public async Task List_WithA100KiBLabelSelector_IsServed(int httpVersion)
    {
        // kube-apiserver accepts request lines up to Go's 1 MiB header limit; selectors this long come from tools.
        var values = string.Join(',', Enumerable.Range(0, 9000).Select(i => $"v{i:D10}"));
        var selector = "env in (" + values + ")";
        using var request = new HttpRequestMessage(HttpMethod.Get, Api.Collection + "?labelSelector=" + Uri.EscapeDataString(selector))
        {
            Version = new Version(httpVersion / 10, httpVersion % 10),
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        Assert.True(request.RequestUri!.OriginalString.Length > 100_000);

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Create_BodyThatStopsArriving_Returns408WithReasonTimeout()
    {
        var (tcp, tls) = await RawHttp.ConnectAsync(fixture.Server.Port, null);
        using var _ = tcp;
        await using var __ = tls;
        await tls.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST {Api.Collection} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {fixture.Server.Token}\r\n" +
            "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"kind\":"));
        await tls.FlushAsync();

        // Nothing more is sent: below the minimum body data rate after its grace period, Kestrel gives up with 408.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var received = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int n;
            while ((n = await tls.ReadAsync(buffer, cts.Token)) > 0)
            {
                received.Write(buffer, 0, n);
                if (Encoding.UTF8.GetString(received.ToArray()).Contains("\"code\":", StringComparison.Ordinal)) break;
            }
        }
        catch (IOException)
        {
        }
        var text = Encoding.UTF8.GetString(received.ToArray());
        Assert.StartsWith("HTTP/1.1 408", text, StringComparison.Ordinal);
        var body = text[text.IndexOf('{', StringComparison.Ordinal)..];
        body = body[..(body.LastIndexOf('}') + 1)];
        Assert.Equal("Timeout", JsonDocument.Parse(body).RootElement.GetProperty("reason").GetString());
    }
}
