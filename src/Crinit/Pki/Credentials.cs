using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClusterRegistry.Crinit.Manifests;

namespace ClusterRegistry.Crinit.Pki;

/// <summary>What an earlier run left: the CA Secret, the credentials Secret and the kubeconfig user (any may be missing).</summary>
public sealed record ExistingCredentials(
    string? CaCertificatePem = null,
    string? CaKeyPem = null,
    string? ServerCertificatePem = null,
    string? ServerKeyPem = null,
    string? TokenCsv = null,
    string? AdminCertificatePem = null,
    string? AdminKeyPem = null)
{
    public static readonly ExistingCredentials None = new();
}

/// <summary>
/// The install's credentials: the CA, the serving certificate, the admin client certificate (group system:masters,
/// the only group the server allows with crinit's AlwaysDeny authorization) and the optional admin token. A re-run
/// keeps every part an earlier run made that is still good, so the kubeconfig entry and the running server stay
/// valid and the Deployment does not roll for nothing.
/// </summary>
public sealed class Credentials : IDisposable
{
    public const string AdminUser = "admin";
    public const string AdminGroup = "system:masters";

    private Credentials(CertificateAuthority ca, IssuedCertificate server, IssuedCertificate? admin, string? tokenCsv)
    {
        Ca = ca;
        Server = server;
        Admin = admin;
        TokenCsv = tokenCsv;
    }

    public CertificateAuthority Ca { get; }
    public IssuedCertificate Server { get; }
    /// <summary>The kubeconfig entry's client certificate; null when no entry is written (no address known, or a dry run).</summary>
    public IssuedCertificate? Admin { get; }

    /// <summary>The kube static token file line for the admin, or null without --apiserver-enable-token-auth.</summary>
    public string? TokenCsv { get; }

    public string? Token => TokenCsv?.Split(',')[0];

    /// <summary>What changed compared to the earlier run, for the progress output.</summary>
    public IReadOnlyList<string> Reissued { get; private init; } = [];

    public static Credentials Converge(Names names, Endpoint endpoint, bool token, ExistingCredentials existing, DateTimeOffset now, bool adminCertificate = true)
    {
        var reissued = new List<string>();
        var ca = existing.CaCertificatePem is not null && existing.CaKeyPem is not null
            ? CertificateAuthority.Load(existing.CaCertificatePem, existing.CaKeyPem)
            : null;
        if (ca is null)
        {
            ca = CertificateAuthority.Create(names.Instance, now);
            reissued.Add("CA");
        }

        var dnsNames = endpoint.Hostnames.Concat(names.ServiceDnsNames).ToList();
        var server = existing is { ServerCertificatePem: { } sc, ServerKeyPem: { } sk } && ca.Signed(sc, now) && Covers(sc, endpoint.Addresses, dnsNames)
            ? new IssuedCertificate(sc, sk)
            : null;
        if (server is null)
        {
            server = ca.IssueServer(endpoint.Addresses, dnsNames, now);
            reissued.Add("serving certificate");
        }

        var admin = existing is { AdminCertificatePem: { } ac, AdminKeyPem: { } ak } && ca.Signed(ac, now)
            ? new IssuedCertificate(ac, ak)
            : null;
        if (admin is null && adminCertificate)
        {
            admin = ca.IssueClient(AdminUser, [AdminGroup], now);
            reissued.Add("admin client certificate");
        }

        string? tokenCsv = null;
        if (token)
        {
            tokenCsv = existing.TokenCsv is { } csv && csv.Split(',') is [{ Length: >= 32 }, AdminUser, { Length: > 0 }, ..] ? csv : null;
            if (tokenCsv is null)
            {
                tokenCsv = $"{Base64Url(RandomNumberGenerator.GetBytes(32))},{AdminUser},{Guid.NewGuid()},\"{AdminGroup}\"\n";
                reissued.Add("admin token");
            }
        }
        return new Credentials(ca, server, admin, tokenCsv) { Reissued = reissued };
    }

    /// <summary>True when the certificate names every address and DNS name the install needs.</summary>
    public static bool Covers(string certificatePem, IEnumerable<IPAddress> addresses, IEnumerable<string> dnsNames)
    {
        using var certificate = X509Certificate2.CreateFromPem(certificatePem);
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null) return false;
        var ips = san.EnumerateIPAddresses().ToHashSet();
        var dns = san.EnumerateDnsNames().ToHashSet(StringComparer.OrdinalIgnoreCase);
        return addresses.All(ips.Contains) && dnsNames.All(dns.Contains);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose() => Ca.Dispose();
}
