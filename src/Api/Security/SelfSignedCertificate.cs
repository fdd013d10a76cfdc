using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClusterRegistry.Api.Security;

/// <summary>
/// The serving certificate when none is given: a self-signed pair in the cert directory (kept across restarts so
/// kubeconfigs stay valid), with SANs for localhost, the loopback addresses, the bind address and the host name.
/// </summary>
public static class SelfSignedCertificate
{
    public const string CertFile = "apiserver.crt";
    public const string KeyFile = "apiserver.key";

    public static (string CertPath, string KeyPath) Ensure(string certDir, string bindAddress, string? advertiseAddress = null)
    {
        Directory.CreateDirectory(certDir);
        var certPath = Path.Combine(certDir, CertFile);
        var keyPath = Path.Combine(certDir, KeyFile);
        if (File.Exists(certPath) && File.Exists(keyPath)) return (certPath, keyPath);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=clusterregistry@{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        if (IPAddress.TryParse(bindAddress, out var ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any)
            && !IPAddress.IsLoopback(ip))
            san.AddIpAddress(ip);
        if (!string.IsNullOrEmpty(advertiseAddress))
        {
            if (IPAddress.TryParse(advertiseAddress, out var advertised)) san.AddIpAddress(advertised);
            else san.AddDnsName(advertiseAddress);
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
}
