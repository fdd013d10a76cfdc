using System.Net;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Http;

/// <summary>
/// At the default verbosity the server writes no line per request (kube-apiserver logs every request only from -v 3),
/// but a request slower than one second is always logged.
/// </summary>
public sealed class RequestLogVerbosityTests : IAsyncLifetime
{
    private ServerProcess _server = null!;

    public async Task InitializeAsync() => _server = await ServerProcess.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task DefaultVerbosity_FastRequestsAreNotLogged_ASlowOneIs()
    {
        using var client = _server.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/apis")).StatusCode);

        // A create whose body arrives over 1.5 s: the server's time for it includes reading the body.
        var name = Api.UniqueName("slow");
        using var body = new SlowContent(Api.NewCluster(name).ToJsonString(), TimeSpan.FromMilliseconds(1500));
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var created = await client.PostAsync(Api.Collection, body);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line;
        while ((line = _server.Output.Split('\n').FirstOrDefault(l => l.Contains("POST ", StringComparison.Ordinal))) is null)
            await Task.Delay(50, cts.Token);
        Assert.Contains("-> 201", line);
        Assert.DoesNotContain(_server.Output.Split('\n'), l => l.Contains("GET /apis ", StringComparison.Ordinal));
    }

    /// <summary>JSON sent in two halves with a pause between them.</summary>
    private sealed class SlowContent(string json, TimeSpan pause) : HttpContent
    {
        private readonly byte[] _bytes = System.Text.Encoding.UTF8.GetBytes(json);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var half = _bytes.Length / 2;
            await stream.WriteAsync(_bytes.AsMemory(0, half));
            await stream.FlushAsync();
            await Task.Delay(pause);
            await stream.WriteAsync(_bytes.AsMemory(half));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _bytes.Length;
            return true;
        }
    }
}
