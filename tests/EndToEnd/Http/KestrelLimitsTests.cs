using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Http;

/// <summary>
/// What Kestrel enforces on the wire, so only the real process shows it: the body limit over HTTP/2 and over HTTP/1.1
/// with 100-continue, the 1 MiB request line, the minimum body data rate and its refusal of a NUL in the request
/// target (the in-process tests, tests/Api.Tests, have no connection and no Kestrel).
/// </summary>
public sealed class KestrelLimitsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly HttpClient _http = fixture.Client;

    /// <summary>
    /// Over the 3 MiB limit. Sent over HTTP/2 (what kubectl and the C# client use) and over HTTP/1.1 with
    /// Expect: 100-continue; a plain HTTP/1.1 upload of a rejected body may see the connection closed mid-upload.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public async Task Create_FourMiBBody_Returns413RequestEntityTooLarge(int httpVersion)
    {
        var name = Api.UniqueName("huge");
        var body = Api.NewCluster(name);
        body["metadata"]!["annotations"] = new JsonObject { ["example.com/blob"] = new string('x', 4 * 1024 * 1024) };
        using var request = new HttpRequestMessage(HttpMethod.Post, Api.Collection)
        {
            Content = Api.Body(body),
            Version = httpVersion == 2 ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (httpVersion == 1) request.Headers.ExpectContinue = true;

        using var response = await _http.SendAsync(request);

        await Api.AssertFailureAsync(response, HttpStatusCode.RequestEntityTooLarge, "RequestEntityTooLarge");
        await Api.AssertAbsentAsync(_http, name);
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

    [Theory]
    [InlineData("GET", "/apis/clusterregistry.k8s.io/v1alpha1/clusters/%00")]
    [InlineData("DELETE", "/apis/clusterregistry.k8s.io/v1alpha1/clusters/%00")]
    [InlineData("GET", "/apis/clusterregistry.k8s.io/v1alpha1/clusters/%00/status")]
    public async Task Request_NameWithEncodedNul_RejectedAsBadRequest(string method, string path)
    {
        // Kestrel's request parser refuses a NUL in the request target before any application code runs, answering a
        // bare 400 (as Go's net/http does for malformed request lines); the application cannot turn it into a Status.
        // What matters is that it is a client error and that nothing reaches storage.
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        using var response = await _http.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
    }
}
