using System.Security.Cryptography.X509Certificates;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Api.Security.Delegated;

/// <summary>
/// kube-apiserver's request-header authenticator: a client whose TLS certificate chains to the front-proxy CA (and,
/// when allowed names are set, whose CN is one of them) vouches for the user named in its headers: the first
/// non-empty username header, every value of the group headers, and <c>PREFIX-key: value</c> extras (key lower-cased
/// and percent-decoded). The headers are removed once read, so nothing later mistakes them for the client's own.
/// Anyone else's copies of these headers are never read.
/// </summary>
public static class RequestHeaderAuthenticator
{
    /// <summary>The user the front proxy names, or null when the client is not the front proxy or names no one.</summary>
    public static UserInfo? Authenticate(IAuthenticationRequest request, X509Certificate2 certificate, RequestHeaderSettings settings)
    {
        if (!IsFrontProxy(certificate, settings)) return null;
        var name = settings.UsernameHeaders.Select(h => request.HeaderValues(h) is [var first, ..] ? first : null).FirstOrDefault(v => v is not null);
        if (name is null) return null;
        var groups = settings.GroupHeaders.SelectMany(request.HeaderValues).ToList();
        var extra = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var extraHeaders = request.HeaderNames
            .Select(k => (Header: k,
                Prefix: settings.ExtraHeaderPrefixes.FirstOrDefault(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase) && k.Length > p.Length)))
            .Where(x => x.Prefix is not null).ToList();
        foreach (var (header, prefix) in extraHeaders)
        {
            var key = Uri.UnescapeDataString(header[prefix!.Length..].ToLowerInvariant());
            var values = request.HeaderValues(header);
            extra[key] = extra.TryGetValue(key, out var known) ? [.. known, .. values] : values.ToList();
        }
        foreach (var h in settings.UsernameHeaders.Concat(settings.GroupHeaders).Concat(extraHeaders.Select(x => x.Header)).ToList())
            request.RemoveHeader(h);
        return new UserInfo(name, "", groups, extra.Count > 0 ? extra : null);
    }

    private static bool IsFrontProxy(X509Certificate2 certificate, RequestHeaderSettings settings)
    {
        if (!ClientCertificateChains.Chains(certificate, settings.Ca)) return false;
        if (settings.AllowedNames.Count == 0) return true;
        // The subject's CN only, as Go's verifier compares (GetNameInfo would fall back to other name forms).
        var cn = certificate.SubjectName.EnumerateRelativeDistinguishedNames()
            .FirstOrDefault(r => r.GetSingleElementType().Value == "2.5.4.3")?.GetSingleElementValue();
        return cn is not null && settings.AllowedNames.Contains(cn, StringComparer.Ordinal);
    }
}
