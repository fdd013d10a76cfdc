using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClusterRegistry.Api.Security;

/// <summary>
/// The serving certificate when none is given: a self-signed pair in the cert directory (kept across restarts so
/// kubeconfigs stay valid), with SANs for localhost, the loopback addresses, the bind address, the host name, and the
/// names clients are told to use (--advertise-address, the host of --external-url).
/// </summary>
public static class SelfSignedCertificate
{
    public const string CertFile = "apiserver.crt";
    public const string KeyFile = "apiserver.key";

    private const string SubjectPrefix = "CN=clusterregistry@";

    /// <param name="externalHost">The host of <c>--external-url</c>: clients outside a container connect by it, so it must be a SAN too.</param>
    public static (string CertPath, string KeyPath) Ensure(string certDir, string bindAddress, string? advertiseAddress = null,
        string? externalHost = null)
    {
        Directory.CreateDirectory(certDir);
        var certPath = Path.Combine(certDir, CertFile);
        var keyPath = Path.Combine(certDir, KeyFile);
        var named = new[] { advertiseAddress, externalHost?.Trim('[', ']') }.OfType<string>().Where(n => n.Length > 0).ToList();
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            // Kept across restarts, unless a name clients are now told to use is missing from a certificate this
            // server generated (a later --external-url): the kubeconfig is rewritten with the new CA at start anyway.
            var missing = MissingNames(certPath, named);
            if (missing.Count == 0) return (certPath, keyPath);
            Serilog.Log.Warning("Regenerating the self-signed serving certificate {Cert}: it lacks {Names}; kubeconfigs copied earlier need the new CA",
                certPath, string.Join(", ", missing));
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"{SubjectPrefix}{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        if (IPAddress.TryParse(bindAddress, out var ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any)
            && !IPAddress.IsLoopback(ip))
            san.AddIpAddress(ip);
        foreach (var name in named.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(name, out var address))
            {
                // 127.0.0.1 and ::1 are already there; other loopback addresses (127.0.0.2) are not.
                if (!address.Equals(IPAddress.Loopback) && !address.Equals(IPAddress.IPv6Loopback)) san.AddIpAddress(address);
            }
            else if (name != "localhost") san.AddDnsName(name);
        }
        var host = Dns.GetHostName();
        if (!string.IsNullOrEmpty(host) && host != "localhost") san.AddDnsName(host);
        request.CertificateExtensions.Add(san.Build());
        // Self-signed and used as its own CA by the kubeconfig, so it must be allowed to sign.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return (certPath, keyPath);
    }

    /// <summary>The names not in the certificate's SANs, when it is one this server generated; a certificate put there by hand is never replaced.</summary>
    private static List<string> MissingNames(string certPath, List<string> names)
    {
        if (names.Count == 0) return [];
        using var existing = X509Certificate2.CreateFromPem(File.ReadAllText(certPath));
        if (!existing.Subject.StartsWith(SubjectPrefix, StringComparison.Ordinal)) return [];
        return names.Where(n => !existing.MatchesHostname(n, allowWildcards: false, allowCommonName: false)).ToList();
    }
}
