using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Tests.EndToEnd.Observability;

/// <summary>
/// A stand-in OTLP/HTTP collector: keeps every export request posted to <c>/v1/traces</c> and answers 200. The
/// bodies are protobuf ExportTraceServiceRequests, whose span names and string attributes are plain UTF-8 in them.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<byte[]> _exports = new();

    private OtlpReceiver(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The collector's base URL, as given to <c>--tracing-otlp-endpoint</c>.</summary>
    public string Url { get; }

    /// <summary>All export bodies received so far, concatenated and read as Latin-1 (byte for byte) to search for names.</summary>
    public string Received => Encoding.Latin1.GetString(_exports.SelectMany(b => b).ToArray());

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        OtlpReceiver? self = null;
        app.MapPost("/v1/traces", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            self!._exports.Enqueue(body.ToArray());
            http.Response.ContentType = "application/x-protobuf";
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<IServerAddressesFeature>()!.Addresses.First();
        self = new OtlpReceiver(app, address);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
