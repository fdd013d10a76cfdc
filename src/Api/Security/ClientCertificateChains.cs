using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClusterRegistry.Api.Security;

/// <summary>
/// Whether a client certificate chains to a set of trusted CAs for client authentication, remembered per certificate
/// (SHA-256 of its DER) for each trusted set. A client presents the same certificate on every request, and in
/// aggregated mode every certificate is checked against the front-proxy CA and then the client CA: without this, two
/// chain builds per request. An answer is kept at most <see cref="Lifetime"/> and never past the certificate's
/// NotAfter; a new trusted set (a rotated CA is a new collection) starts with nothing remembered.
/// </summary>
public static class ClientCertificateChains
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    /// <summary>Beyond this many certificates per trusted set the set's answers are dropped (bounded memory).</summary>
    private const int MaxEntries = 4096;

    private static readonly ConditionalWeakTable<X509Certificate2Collection, ConcurrentDictionary<string, (bool Chains, DateTime Until)>> Verdicts = new();

    public static bool Chains(X509Certificate2 certificate, X509Certificate2Collection trusted)
    {
        var verdicts = Verdicts.GetValue(trusted, _ => new ConcurrentDictionary<string, (bool, DateTime)>(StringComparer.Ordinal));
        var key = Convert.ToHexString(SHA256.HashData(certificate.RawData));
        var now = DateTime.UtcNow;
        if (verdicts.TryGetValue(key, out var known) && known.Until > now) return known.Chains;
        var chains = Build(certificate, trusted);
        var until = now + Lifetime;
        if (certificate.NotAfter.ToUniversalTime() < until) until = certificate.NotAfter.ToUniversalTime();
        if (verdicts.Count >= MaxEntries) verdicts.Clear();
        verdicts[key] = (chains, until);
        return chains;
    }

    private static bool Build(X509Certificate2 certificate, X509Certificate2Collection trusted)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate);
    }
}
