using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClusterRegistry.Tests.EndToEnd.Infrastructure;

/// <summary>A certificate with its private key, and the PEM text the Kubernetes binaries read.</summary>
public sealed class IssuedCertificate(X509Certificate2 certificate)
{
    public X509Certificate2 Certificate { get; } = certificate;
    public string CertificatePem => Certificate.ExportCertificatePem() + "\n";

    /// <summary>PKCS#1 ("RSA PRIVATE KEY"), which every Go and .NET reader of the era accepts.</summary>
    public string KeyPem => Certificate.GetRSAPrivateKey()!.ExportRSAPrivateKeyPem() + "\n";

    /// <summary>Writes NAME.crt and NAME.key into <paramref name="dir"/>; returns (certificate path, key path).</summary>
    public (string Cert, string Key) WriteTo(string dir, string name)
    {
        var cert = Path.Combine(dir, name + ".crt");
        var key = Path.Combine(dir, name + ".key");
        File.WriteAllText(cert, CertificatePem);
        File.WriteAllText(key, KeyPem);
        return (cert, key);
    }
}

/// <summary>
/// Certificate authorities and leaf certificates for test clusters, made with .NET's CertificateRequest (what
/// kubeadm would generate: RSA-2048, CA with CertSign, leaves with server or client EKU, CN = user, O = groups).
/// </summary>
public sealed class TestPki
{
    private readonly X509Certificate2 _ca;

    private TestPki(X509Certificate2 ca) => _ca = ca;

    public IssuedCertificate Ca => new(_ca);
    public string CaPem => _ca.ExportCertificatePem() + "\n";

    /// <summary>A self-signed CA named <paramref name="commonName"/>, valid from a minute ago for two days.</summary>
    public static TestPki CreateCa(string commonName)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + Escape(commonName)), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return new TestPki(request.CreateSelfSigned(now.AddMinutes(-1), now.AddDays(2)));
    }

    /// <summary>A TLS server certificate for the given DNS names and IP addresses.</summary>
    public IssuedCertificate IssueServer(string commonName, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames) san.AddDnsName(name);
        foreach (var address in addresses) san.AddIpAddress(address);
        return Issue("CN=" + Escape(commonName), "1.3.6.1.5.5.7.3.1", san.Build());
    }

    /// <summary>A TLS client certificate: Kubernetes reads CN as the user name and each O as a group.</summary>
    public IssuedCertificate IssueClient(string user, params string[] groups)
    {
        var subject = string.Join(", ", groups.Select(g => "O=" + Escape(g)).Prepend("CN=" + Escape(user)));
        return Issue(subject, "1.3.6.1.5.5.7.3.2", null);
    }

    private IssuedCertificate Issue(string subject, string ekuOid, X509Extension? san)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(new X500DistinguishedName(subject), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ekuOid)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, true, false));
        if (san is not null) request.CertificateExtensions.Add(san);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // a positive serial number
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(_ca, now.AddMinutes(-1), now.AddDays(1), serial);
        return new IssuedCertificate(issued.CopyWithPrivateKey(key));
    }

    // X500DistinguishedName parses commas, plus signs and quotes as syntax; user and group names may hold them.
    private static string Escape(string value) => "\"" + value.Replace("\"", "\"\"") + "\"";
}
