using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using Xunit.Abstractions;
using static ClusterRegistry.Tests.EndToEnd.Security.SecurityAssert;

namespace ClusterRegistry.Tests.EndToEnd.Security;

/// <summary>Overload protection of a real server: --max-mutating-requests-inflight (429) and --request-timeout (504).</summary>
public sealed class OverloadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cr-overload-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly List<ServerProcess> _servers = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var s in _servers) await s.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<ServerProcess> StartAsync(params string[] args)
    {
        var server = await ServerProcess.StartAsync(Path.Combine(_dir, "server-" + _servers.Count), null, args);
        _servers.Add(server);
        return server;
    }

    [Fact]
    public async Task Create_ManyConcurrentWithMutatingLimitOne_SomeGet429WithRetryAfterAndNone5xx()
    {
        var server = await StartAsync("--max-mutating-requests-inflight", "1");
        // HTTP/2: every create of a burst travels on one connection and reaches the server together.
        using var client = server.CreateClient();
        client.DefaultRequestVersion = HttpVersion.Version20;
        client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        client.Timeout = TimeSpan.FromSeconds(60);
        using (var warm = await client.GetAsync(Collection)) Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        var label = "v" + Guid.NewGuid().ToString("N")[..12];
        int created = 0, throttled = 0, bursts = 0;

        for (; bursts < 10 && throttled == 0; bursts++)
        {
            using var start = new SemaphoreSlim(0);
            var tasks = Enumerable.Range(0, 40).Select(async i =>
            {
                var body = Json(ClusterJson(UniqueName("burst"), new Dictionary<string, string> { ["burst"] = label }));
                await start.WaitAsync();
                var response = await client.PostAsync(Collection, body);
                return (response, await response.Content.ReadAsStringAsync());
            }).ToList();
            start.Release(tasks.Count);
            foreach (var (response, text) in await Task.WhenAll(tasks))
            {
                using (response)
                {
                    var code = (int)response.StatusCode;
                    Assert.True(code is 201 or 429, $"a create answered {code} (expected 201 or 429): {text}");
                    if (code == 201)
                    {
                        created++;
                        continue;
                    }
                    throttled++;
                    Assert.True(response.Headers.RetryAfter is not null, "429 without a Retry-After header");
                    Assert.True(response.Headers.RetryAfter!.Delta is { TotalSeconds: >= 1 }, $"Retry-After: {response.Headers.RetryAfter}");
                    Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
                    using var doc = JsonDocument.Parse(text);
                    var status = doc.RootElement;
                    Assert.Equal("Status", status.GetProperty("kind").GetString());
                    Assert.Equal("Failure", status.GetProperty("status").GetString());
                    Assert.Equal("TooManyRequests", status.GetProperty("reason").GetString());
                    Assert.Equal(429, status.GetProperty("code").GetInt32());
                    Assert.True(status.GetProperty("details").GetProperty("retryAfterSeconds").GetInt32() >= 1, text);
                }
            }
        }
        output.WriteLine($"{bursts} burst(s) of 40: {created} created, {throttled} throttled with 429");

        Assert.True(throttled > 0, $"no create was throttled in {bursts} bursts of 40 concurrent creates");
        // Only the creates that were answered 201 are stored.
        var list = await Api.ListAsync(client, "labelSelector=" + Uri.EscapeDataString("burst=" + label));
        Assert.Equal(created, list.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task List_ManyConcurrentWithMutatingLimitOne_AreNotThrottled()
    {
        var server = await StartAsync("--max-mutating-requests-inflight", "1");
        using var client = server.CreateClient();
        client.DefaultRequestVersion = HttpVersion.Version20;
        client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => client.GetAsync(Collection)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var r in responses) r.Dispose();
    }

    [Fact]
    public async Task Create_BodyStalledPastRequestTimeout_Returns504TimeoutStatus()
    {
        var server = await StartAsync("--request-timeout", "00:00:02");
        var name = UniqueName("stalled");
        var body = Encoding.UTF8.GetBytes(ClusterJson(name));

        // Raw TLS: send the headers and half the body, then stall; the request can never complete on its own.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        });
        var head = $"POST {Collection} HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\nAuthorization: Bearer {server.Token}\r\n" +
                   $"Content-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
        await tls.WriteAsync(Encoding.ASCII.GetBytes(head));
        await tls.WriteAsync(body.AsMemory(0, body.Length / 2));
        await tls.FlushAsync();

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var response = new StringBuilder();
        var buffer = new byte[8192];
        try
        {
            while (!response.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) || !LooksComplete(response.ToString()))
            {
                var n = await tls.ReadAsync(buffer, cts.Token);
                if (n == 0) break;
                response.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException("no response within 30 s to a request stalled past --request-timeout 2s; got: " + response);
        }
        catch (IOException e)
        {
            throw new Xunit.Sdk.XunitException($"the connection failed ({e.Message}) instead of a 504; got: {response}");
        }

        var text = response.ToString();
        Assert.True(text.StartsWith("HTTP/1.1 504", StringComparison.Ordinal), "expected 504, got:\n" + text);
        var json = text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        var start = json.IndexOf('{');
        using var doc = JsonDocument.Parse(json[start..(json.LastIndexOf('}') + 1)]);
        Assert.Equal("Status", doc.RootElement.GetProperty("kind").GetString());
        Assert.Equal("Timeout", doc.RootElement.GetProperty("reason").GetString());
        Assert.Equal(504, doc.RootElement.GetProperty("code").GetInt32());
        Assert.Equal("Timeout: request did not complete within requested timeout - context deadline exceeded",
            doc.RootElement.GetProperty("message").GetString());
        using var client = server.CreateClient();
        await Api.AssertAbsentAsync(client, name);
    }

    /// <summary>True when the text holds the headers and a body of the Content-Length given, or a final chunk.</summary>
    private static bool LooksComplete(string text)
    {
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0) return false;
        var headers = text[..split];
        var body = text[(split + 4)..];
        foreach (var line in headers.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                return Encoding.UTF8.GetByteCount(body) >= int.Parse(line[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        return body.Contains("\r\n0\r\n\r\n", StringComparison.Ordinal);
    }
}
