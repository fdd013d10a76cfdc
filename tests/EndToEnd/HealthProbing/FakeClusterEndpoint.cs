using System.Net;
using System.Security.Cryptography.X509Certificates;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Tests.EndToEnd.HealthProbing;

/// <summary>
/// A stand-in for a cluster's API server on loopback: HTTPS with a certificate from its own CA (swappable while it
/// runs), <c>/version</c> and <c>/readyz</c> (which can be told to fail), and a count of every TCP connection it
/// accepted, taken before TLS, so a test can prove nothing connected at all.
/// </summary>
public sealed class FakeClusterEndpoint : IAsyncDisposable
{
    public const string GitVersion = "v1.29.3-fake";

    private WebApplication? _app;
    private X509Certificate2 _serving;
    private int _connections;
    private int _failNext;
    private int _readyzOk;
    private int _readyzFailed;
    private int _credentialed;
    private int _held;
    private TaskCompletionSource? _gate;

    private FakeClusterEndpoint(IPAddress address, int port, TestPki ca)
    {
        Address = address;
        Port = port;
        Ca = ca;
        _serving = Issue(ca);
    }

    public IPAddress Address { get; }
    public int Port { get; }
    public TestPki Ca { get; }
    public string CaPem => Ca.CaPem;
    public string ServerAddress => $"{Address}:{Port}";
    public int Connections => Volatile.Read(ref _connections);
    public int ReadyzOk => Volatile.Read(ref _readyzOk);
    public int ReadyzFailed => Volatile.Read(ref _readyzFailed);
    /// <summary>Requests that carried an Authorization header or a client certificate (the prober must send none).</summary>
    public int Credentialed => Volatile.Read(ref _credentialed);
    /// <summary>SHA-256 of the serving certificate (what the prober pins).</summary>
    public string Fingerprint => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(_serving.RawData));

    /// <summary>/readyz requests waiting at the gate (<see cref="Hold"/>).</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>From now on /readyz waits (an endpoint that answers slowly) until <see cref="Release"/>.</summary>
    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate?.TrySetResult();

    /// <summary>When set, every /readyz answers 500.</summary>
    public bool Failing { get; set; }

    public static async Task<FakeClusterEndpoint> StartAsync(IPAddress? address = null, TestPki? ca = null)
    {
        address ??= IPAddress.Loopback;
        var port = FreePort(address);
        var endpoint = new FakeClusterEndpoint(address, port, ca ?? TestPki.CreateCa("fake-cluster-ca"));
        await endpoint.StartAsync();
        return endpoint;
    }

    /// <summary>The next <paramref name="count"/> /readyz requests answer 500.</summary>
    public void FailNext(int count) => Volatile.Write(ref _failNext, count);

    /// <summary>Serves a new certificate from the same CA: valid, but not the one that was pinned.</summary>
    public void SwapCertificate() => _serving = Issue(Ca);

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(Address, Port, listen =>
        {
            listen.Use(next => async connection =>
            {
                Interlocked.Increment(ref _connections);
                await next(connection);
            });
            listen.UseHttps(https =>
            {
                https.ServerCertificateSelector = (_, _) => _serving;
                https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate;
                https.AllowAnyClientCertificate();
            });
        }));
        var app = builder.Build();
        app.Use(async (http, next) =>
        {
            if (http.Request.Headers.Authorization.Count > 0 || http.Connection.ClientCertificate is not null) Interlocked.Increment(ref _credentialed);
            await next(http);
        });
        app.MapGet("/version", () => Results.Json(new { major = "1", minor = "29", gitVersion = GitVersion, platform = "linux/amd64" }));
        app.MapGet("/readyz", async (HttpContext _) =>
        {
            if (_gate is { } gate)
            {
                Interlocked.Increment(ref _held);
                await gate.Task;
            }
            var fail = Failing || Interlocked.Decrement(ref _failNext) >= 0;
            if (!fail) Interlocked.Exchange(ref _failNext, 0);
            Interlocked.Increment(ref fail ? ref _readyzFailed : ref _readyzOk);
            return fail ? Results.Text("[-]etcd failed: reason withheld\nreadyz check failed", statusCode: 500) : Results.Text("ok");
        });
        await app.StartAsync();
        _app = app;
    }

    public async Task StopAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static X509Certificate2 Issue(TestPki ca) =>
        ca.IssueServer("fake-apiserver", ["localhost"], [IPAddress.Loopback, IPAddress.Parse("127.0.0.2"), IPAddress.IPv6Loopback]).Certificate;

    private static int FreePort(IPAddress address)
    {
        using var l = new System.Net.Sockets.TcpListener(address, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
