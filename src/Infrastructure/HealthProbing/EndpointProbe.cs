using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace ClusterRegistry.Infrastructure.HealthProbing;

/// <summary>
/// Probes one endpoint as an anonymous client: TLS verified against the cluster's caBundle (the system's roots when
/// it has none) and, once pinned, the exact serving certificate; then <c>GET /version</c> and <c>GET /readyz</c>.
/// No credentials, cookies, proxy or client certificate are ever sent and redirects are not followed; the whole
/// probe (connect, handshake, both requests) has one deadline and bounded response sizes.
/// </summary>
public static class EndpointProbe
{
    private const int MaxBody = 64 * 1024;

    public static async Task<ProbeResult> RunAsync(ProbeTarget target, byte[]? caBundle, string? pinned, TimeSpan timeout, CancellationToken ct)
    {
        var roots = LoadRoots(caBundle);
        string? presented = null;
        var trusted = false;
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            Credentials = null,
            PreAuthenticate = false,
            MaxResponseHeadersLength = 64,
            PooledConnectionLifetime = timeout,
            // To the address that was checked against the allowed ranges, never a fresh resolution of the name.
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(target.Address, context.DnsEndPoint.Port), token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                {
                    if (certificate is null) return false;
                    var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    presented = Convert.ToHexStringLower(SHA256.HashData(leaf.RawData));
                    trusted = Verify(leaf, chain, errors, roots);
                    return trusted && (pinned is null || presented == pinned);
                },
            },
        };
        using var client = new HttpClient(handler, disposeHandler: false) { BaseAddress = target.Url, MaxResponseContentBufferSize = MaxBody };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("clusterregistry-health-prober", "1"));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            string? version = null;
            using (var response = await client.GetAsync("/version", deadline.Token))
            {
                if (response.StatusCode == HttpStatusCode.OK) version = GitVersion(await response.Content.ReadAsByteArrayAsync(deadline.Token));
            }
            using var readyz = await client.GetAsync("/readyz", deadline.Token);
            var body = await readyz.Content.ReadAsStringAsync(deadline.Token);
            if (readyz.StatusCode == HttpStatusCode.OK)
                return new ProbeResult(true, ProbeReasons.Ready, "GET /readyz returned 200", version, presented, false);
            var first = body.Split('\n', 2)[0].Trim();
            return new ProbeResult(false, ProbeReasons.NotReady,
                $"GET /readyz returned {(int)readyz.StatusCode}{(first.Length > 0 ? ": " + Truncate(first) : "")}", version, presented, false);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            if (ct.IsCancellationRequested) throw;
            if (presented is not null && pinned is not null && presented != pinned)
                return ProbeResult.Failure(ProbeReasons.IdentityMismatch,
                    $"the endpoint presents certificate sha256:{presented}, not the pinned sha256:{pinned}", presented, mismatch: true);
            if (presented is not null && !trusted)
                return ProbeResult.Failure(ProbeReasons.CertificateNotTrusted,
                    roots is null ? "the serving certificate is not trusted by the system's roots or does not name the host"
                        : "the serving certificate is not signed by the cluster's caBundle or does not name the host", presented);
            if (e is OperationCanceledException)
                return ProbeResult.Failure(ProbeReasons.Timeout, $"no answer within {timeout.TotalSeconds:0.###}s", presented);
            return ProbeResult.Failure(ProbeReasons.Unreachable, Truncate(Innermost(e).Message), presented);
        }
    }

    private static X509Certificate2Collection? LoadRoots(byte[]? caBundle)
    {
        if (caBundle is not { Length: > 0 }) return null;
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPem(System.Text.Encoding.UTF8.GetString(caBundle));
        }
        catch (CryptographicException)
        {
            // Validation refuses such a bundle on write; an unusable one trusts nothing rather than the system.
        }
        return roots;
    }

    private static bool Verify(X509Certificate2 leaf, X509Chain? presentedChain, SslPolicyErrors errors, X509Certificate2Collection? roots)
    {
        if (roots is null) return errors == SslPolicyErrors.None;
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0) return false;
        if (roots.Count == 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (presentedChain is not null)
            foreach (var element in presentedChain.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        return chain.Build(leaf);
    }

    /// <summary>The gitVersion of a /version answer; null when it is not the Kubernetes shape.</summary>
    private static string? GitVersion(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("gitVersion", out var v)
                   && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 and <= 128 } s ? s : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    private static string Truncate(string s) => s.Length <= 200 ? s : s[..200] + "…";
}
