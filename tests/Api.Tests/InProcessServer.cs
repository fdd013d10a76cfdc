using System.CommandLine;
using System.Net;
using ClusterRegistry.Api.Hosting;
using ClusterRegistry.Api.Hosting.Flags;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClusterRegistry.Tests.Http;

/// <summary>
/// <c>clusterregistry standalone</c> inside the test process (ADR-018-inproc): its flags read by the executable's own
/// flag parser, its embedded store in a temporary data directory, the composition of <see cref="ServerHost.Build"/>
/// with every middleware, the generated admin token and the configured authorizers; only Kestrel is replaced by the
/// in-memory test server. Clients connect as from 127.0.0.1 over HTTPS, as they do to the real process.
/// </summary>
public sealed class InProcessServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IObjectStorage _storage;
    private readonly TestServer _server;

    private InProcessServer(string dataDir, WebApplication app, IObjectStorage storage)
    {
        DataDir = dataDir;
        _app = app;
        _storage = storage;
        _server = app.GetTestServer();
        _server.BaseAddress = new Uri("https://127.0.0.1/");
    }

    public string DataDir { get; }

    /// <summary>The generated admin token (system:masters), as the executable writes it.</summary>
    public string Token => File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();

    /// <summary>Starts a server over a new temporary data directory with <paramref name="flags"/> added to the defaults the end-to-end server gets.</summary>
    public static async Task<InProcessServer> StartAsync(params string[] flags)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "cr-inproc-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataDir);
        var options = Options(["--data-dir", dataDir, "--watch-bookmark-interval", "00:00:02", .. flags]);
        var storage = await StorageBackends.OpenAsync(options.Infrastructure, NullLoggerFactory.Instance, CancellationToken.None);
        var app = ServerHost.Build(options, storage, configure: builder => builder.WebHost.UseTestServer());
        await app.StartAsync();
        return new InProcessServer(dataDir, app, storage);
    }

    /// <summary>The options <c>clusterregistry standalone FLAGS</c> runs with; invalid flags fail the test's setup.</summary>
    private static ServerOptions Options(string[] args)
    {
        var flags = new ServerFlags();
        var standalone = new Command("standalone");
        foreach (var option in flags.Shared.Concat(flags.StandaloneOnly)) standalone.Options.Add(option);
        var parse = standalone.Parse(args);
        var (options, errors) = flags.Read(parse, standalone: true);
        var all = parse.Errors.Select(e => e.Message).Concat(errors).ToList();
        return all.Count == 0 ? options : throw new InvalidOperationException("invalid flags: " + string.Join("; ", all));
    }

    /// <summary>A client that sends the admin token (<paramref name="authenticated"/>) or no credentials.</summary>
    public HttpClient CreateClient(bool authenticated = true) => CreateClient(authenticated ? Token : null);

    /// <summary>A client that presents <paramref name="token"/> (when not null) as its bearer token.</summary>
    public HttpClient CreateClient(string? token)
    {
        var handler = _server.CreateHandler(FromLoopback);
        var client = new HttpClient(handler) { BaseAddress = _server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }

    /// <summary>
    /// One request written straight onto the server's <see cref="HttpContext"/>: headers reach the server byte for
    /// byte, where HttpClient would normalise them (e.g. the spacing in an Authorization header).
    /// </summary>
    public Task<HttpContext> SendRawAsync(Action<HttpContext> request) =>
        _server.SendAsync(http =>
        {
            FromLoopback(http);
            request(http);
        });

    /// <summary>The test server has no connection: each request gets the loopback peer a local client has on Kestrel.</summary>
    private static void FromLoopback(HttpContext http)
    {
        http.Connection.RemoteIpAddress = IPAddress.Loopback;
        http.Connection.LocalIpAddress = IPAddress.Loopback;
    }

    /// <summary>Stops the host as SIGTERM does (the test server keeps answering until the host stops it).</summary>
    public Task StopAsync() => _app.StopAsync();

    /// <summary>
    /// Only the first step of SIGTERM: fires
    /// <see cref="Microsoft.Extensions.Hosting.IHostApplicationLifetime.ApplicationStopping"/>. Nothing here waits on it
    /// to stop the host (the test server was started, not run), so the services go on as before.
    /// </summary>
    public void StopApplication() => _app.Lifetime.StopApplication();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_storage is IAsyncDisposable disposable) await disposable.DisposeAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
