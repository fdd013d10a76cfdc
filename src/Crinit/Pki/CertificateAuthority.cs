using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClusterRegistry.Crinit.Pki;

/// <summary>
/// The CA crinit makes per install and the certificates it signs: the server's serving certificate and the admin
/// client certificate of the kubeconfig entry. Shaped like the original's (client-go cert/triple: RSA-2048, CA for
/// 10 years, leaves for 1), with random serials and key identifiers the original lacked.
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    private static readonly TimeSpan CaValidity = TimeSpan.FromDays(3650);
    private static readonly TimeSpan LeafValidity = TimeSpan.FromDays(365);

    /// <summary>Reissue leaves whose remaining life is shorter than this, so a re-run renews them in time.</summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    private readonly RSA _key;

    private CertificateAuthority(X509Certificate2 certificate, RSA key)
    {
        Certificate = certificate;
        _key = key;
    }

    public X509Certificate2 Certificate { get; }
    public string CertificatePem => Certificate.ExportCertificatePem() + "\n";
    public string KeyPem => _key.ExportRSAPrivateKeyPem() + "\n";

    public static CertificateAuthority Create(string commonName, DateTimeOffset now)
    {
        var key = RSA.Create(2048);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + Escape(commonName)), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var selfSigned = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(CaValidity));
        // The public part alone: the key stays in this object and is exported as PEM, never through a key store.
        return new CertificateAuthority(X509CertificateLoader.LoadCertificate(selfSigned.RawData), key);
    }

    /// <summary>The CA kept by an earlier run, or null when the PEM is not a CA certificate matching its key.</summary>
    public static CertificateAuthority? Load(string certificatePem, string keyPem)
    {
        try
        {
            var certificate = X509Certificate2.CreateFromPem(certificatePem);
            var key = RSA.Create();
            key.ImportFromPem(keyPem);
            var isCa = certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);
            using var publicKey = certificate.GetRSAPublicKey();
            if (!isCa || publicKey is null || !publicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                key.Dispose();
                return null;
            }
            return new CertificateAuthority(certificate, key);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>The serving certificate: CN clusterregistry, every address and DNS name clients may dial.</summary>
    public IssuedCertificate IssueServer(IEnumerable<IPAddress> addresses, IEnumerable<string> dnsNames, DateTimeOffset now)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (var ip in addresses.Distinct()) san.AddIpAddress(ip);
        foreach (var dns in dnsNames.Distinct(StringComparer.OrdinalIgnoreCase)) san.AddDnsName(dns);
        return Issue("CN=clusterregistry", X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment,
            new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication"), san.Build(), now);
    }

    /// <summary>A client certificate: the server reads CN as the user and each O as a group.</summary>
    public IssuedCertificate IssueClient(string user, IEnumerable<string> groups, DateTimeOffset now)
    {
        var subject = string.Join(", ", groups.Select(g => "O=" + Escape(g)).Prepend("CN=" + Escape(user)));
        return Issue(subject, X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment,
            new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication"), null, now);
    }

    /// <summary>True when <paramref name="certificatePem"/> chains to this CA and stays valid for <see cref="RenewBefore"/>.</summary>
    public bool Signed(string certificatePem, DateTimeOffset now)
    {
        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPem(certificatePem);
        }
        catch (CryptographicException)
        {
            return false;
        }
        using (leaf)
        {
            if (leaf.NotAfter.ToUniversalTime() < now.Add(RenewBefore).UtcDateTime) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(Certificate);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = now.UtcDateTime;
            return chain.Build(leaf);
        }
    }

    private IssuedCertificate Issue(string subject, X509KeyUsageFlags usage, Oid extendedUsage, X509Extension? san, DateTimeOffset now)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(new X500DistinguishedName(subject), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([extendedUsage], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        if (san is not null) request.CertificateExtensions.Add(san);
        var notAfter = now.Add(LeafValidity);
        if (notAfter > Certificate.NotAfter) notAfter = Certificate.NotAfter;
        using var certificate = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForRSA(_key, RSASignaturePadding.Pkcs1),
            now.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(16).Select((b, i) => i == 0 ? (byte)(b & 0x7f) : b).ToArray());
        return new IssuedCertificate(certificate.ExportCertificatePem() + "\n", key.ExportRSAPrivateKeyPem() + "\n");
    }

    // X.500 names: a value holding one of these would otherwise split into several attributes.
    private static string Escape(string value) =>
        value.IndexOfAny([',', '+', '"', '\\', '<', '>', ';', '=']) >= 0 ? "\"" + value.Replace("\"", "\\\"") + "\"" : value;

    public void Dispose()
    {
        _key.Dispose();
        Certificate.Dispose();
    }
}
