using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ClusterRegistry.Api.Security;

/// <summary>
/// The serving certificate, reloaded when its files change on disk (checked at most every few seconds, on
/// handshakes), so rotated certificates take effect without a restart. A broken pair on disk keeps the last good one.
/// The TLS context (the certificate with its chain) is built once per load, not on every handshake.
/// </summary>
public sealed class CertificateReloader(string certPath, string keyPath, ILogger logger)
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(5);
    private readonly Lock _gate = new();
    private SslStreamCertificateContext _current = Load(certPath, keyPath);
    private (DateTime, DateTime) _stamps = Stamps(certPath, keyPath);
    private DateTime _nextCheck = DateTime.UtcNow + CheckInterval;

    /// <summary>The serving certificate.</summary>
    public X509Certificate2 Certificate => Current.TargetCertificate;

    /// <summary>The serving certificate's TLS context, for the handshake.</summary>
    public SslStreamCertificateContext Current
    {
        get
        {
            if (DateTime.UtcNow < _nextCheck) return _current;
            lock (_gate)
            {
                if (DateTime.UtcNow < _nextCheck) return _current;
                _nextCheck = DateTime.UtcNow + CheckInterval;
                var stamps = Stamps(certPath, keyPath);
                if (stamps == _stamps) return _current;
                try
                {
                    _current = Load(certPath, keyPath);
                    _stamps = stamps;
                    logger.LogInformation("Reloaded the serving certificate from {CertFile}", certPath);
                }
                catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or ArgumentException)
                {
                    logger.LogWarning("Keeping the previous serving certificate: {Error}", e.Message);
                }
                return _current;
            }
        }
    }

    private static (DateTime, DateTime) Stamps(string cert, string key) => (File.GetLastWriteTimeUtc(cert), File.GetLastWriteTimeUtc(key));

    private static SslStreamCertificateContext Load(string cert, string key)
    {
        using var pem = X509Certificate2.CreateFromPemFile(cert, key);
        // SslStream on Linux needs the key in a form it can use for every handshake.
        var leaf = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        // Intermediates that follow the leaf in the certificate file are sent with it.
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(cert);
        var intermediates = new X509Certificate2Collection();
        foreach (var c in all)
            if (c.Thumbprint != leaf.Thumbprint) intermediates.Add(c);
        return SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }
}
