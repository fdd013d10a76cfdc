using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ClusterRegistry.Api.Http;
using ClusterRegistry.Api.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Serilog;

namespace ClusterRegistry.Api.Hosting;

/// <summary>The serving certificate's file and the client CA that client certificates are checked against.</summary>
public sealed record ServingCertificate(string CertificatePath, X509Certificate2Collection? ClientCa);

/// <summary>Kestrel: HTTPS only (TLS 1.2 and 1.3, HTTP/1.1 and HTTP/2), with kube-apiserver's limits.</summary>
public static class ServingTls
{
    private static readonly List<SslApplicationProtocol> Alpn = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    /// <summary>
    /// Listens on the bind address and port with the configured certificate, or a generated self-signed one.
    /// <paramref name="alwaysAskForCertificate"/>: the front proxy's and the host's client CA may change (aggregated).
    /// </summary>
    public static ServingCertificate UseServingTls(this IWebHostBuilder web, ServerOptions options, bool alwaysAskForCertificate)
    {
        var (certPath, keyPath) = options.TlsCertFile is not null
            ? (options.TlsCertFile, options.TlsPrivateKeyFile!)
            : SelfSignedCertificate.Ensure(options.EffectiveCertDir, options.BindAddress, options.AdvertiseAddress, options.ExternalUrl?.IdnHost);
        var certificates = new CertificateReloader(certPath, keyPath,
            new Serilog.Extensions.Logging.SerilogLoggerFactory(Log.Logger).CreateLogger("Tls"));
        var clientCa = LoadClientCa(options.ClientCaFile);
        var askForCertificate = clientCa is not null || alwaysAskForCertificate;
        web.UseBoundedConnectionMemory();
        // Go's listeners (kube-apiserver's) queue up to net.core.somaxconn connections; Kestrel's default of 512 made
        // the kernel drop the handshakes of a burst of clients (3,000 watchers reconnecting after a restart) while
        // the accept loop was busy, and they failed with a broken pipe instead of waiting their turn.
        // UnsafePreferInlineScheduling (a flush sending on the flushing thread) was tried for watch fan-out and left
        // off: on a quiet machine it cost more CPU per request on lists, gzip and writes than it saved (ADR-029).
        web.UseSockets(s => s.Backlog = ListenBacklog());
        web.ConfigureKestrel(k =>
        {
            Limit(k.Limits);
            k.AddServerHeader = false;
            k.Listen(System.Net.IPAddress.Parse(options.BindAddress), options.SecurePort, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    // The handshake takes the prebuilt context; a certificate selector would rebuild the chain per connection.
                    OnConnection = _ => ValueTask.FromResult(TlsOptions(certificates, askForCertificate)),
                    // As long as a request's headers may take (kube-apiserver bounds the handshake by its header
                    // timeout): 10 s dropped the queued handshakes of a burst of 3,000 watchers on a loaded 2-core host.
                    HandshakeTimeout = TimeSpan.FromSeconds(30),
                });
            });
        });
        return new ServingCertificate(certPath, clientCa);
    }

    /// <summary>The kernel's limit for a listen queue, as Go asks for; 4096 (Linux's default since 5.4) where it cannot be read.</summary>
    private static int ListenBacklog()
    {
        try
        {
            return int.TryParse(File.ReadAllText("/proc/sys/net/core/somaxconn").Trim(), out var max) && max > 0 ? max : 4096;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 4096;
        }
    }

    private static void Limit(KestrelServerLimits limits)
    {
        limits.MaxRequestBodySize = RequestBody.MaxBytes + 1L;
        // Go's http.Server default, which kube-apiserver keeps: 1 MiB for the request line and headers, so
        // long label selectors and large bearer tokens are accepted as there.
        limits.MaxRequestLineSize = 1024 * 1024;
        limits.MaxRequestHeadersTotalSize = 1024 * 1024;
        limits.Http2.MaxRequestHeaderFieldSize = 1024 * 1024;
        limits.MaxRequestHeaderCount = 100;
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
        limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
        // Slow clients: a body must arrive at 240 bytes/s after a 5 s grace, or the request is dropped.
        limits.MinRequestBodyDataRate = new MinDataRate(240, TimeSpan.FromSeconds(5));
    }

    private static SslServerAuthenticationOptions TlsOptions(CertificateReloader certificates, bool clientCertificates) => new()
    {
        ServerCertificateContext = certificates.Current,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        ApplicationProtocols = Alpn,
        // Client certificates are asked for, not required, and checked against the client CA by the authenticator,
        // so a bad one is a 401 rather than a failed handshake.
        ClientCertificateRequired = clientCertificates,
#pragma warning disable CA5359 // A client's certificate, not a server's: the authenticator verifies it (see above).
        RemoteCertificateValidationCallback = clientCertificates ? (_, _, _, _) => true : null,
#pragma warning restore CA5359
    };

    private static X509Certificate2Collection? LoadClientCa(string? path)
    {
        if (path is null) return null;
        var ca = new X509Certificate2Collection();
        ca.ImportFromPemFile(path);
        if (ca.Count == 0) throw new InvalidOperationException($"--client-ca-file {path} holds no certificate");
        return ca;
    }
}
