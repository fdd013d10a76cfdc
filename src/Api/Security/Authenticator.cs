using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Webhooks;

namespace ClusterRegistry.Api.Security;

/// <summary>
/// kube-apiserver's authenticator chain, first success wins: client certificate (signed by the client CA; CN is the
/// user, O the groups), static bearer tokens, the token review webhook, then anonymous when enabled. Credentials that
/// are presented but fail are a 401, never a fall-through to anonymous. Every authenticated user is also in
/// <c>system:authenticated</c>. In aggregated mode (<paramref name="delegated"/> given) the front proxy's request
/// headers come first, and the client CA is the host's current one.
/// </summary>
public sealed class Authenticator(
    IReadOnlyDictionary<string, UserInfo> tokens,
    bool anonymous,
    X509Certificate2Collection? clientCa = null,
    TokenReviewAuthenticator? tokenWebhook = null,
    Func<Delegated.DelegatedAuthenticationSettings>? delegated = null) : IAuthenticator
{
    /// <summary>The static tokens' bytes and users, made once: every request compares against all of them.</summary>
    private readonly (byte[] Token, UserInfo User)[] _tokens =
        [.. tokens.Select(t => (Encoding.UTF8.GetBytes(t.Key), WithAuthenticatedGroup(t.Value)))];

    public bool AnonymousAllowed => anonymous;

    public async ValueTask<UserInfo?> AuthenticateAsync(IAuthenticationRequest request, CancellationToken ct)
    {
        var certificate = request.ClientCertificate;
        var settings = delegated?.Invoke();
        if (certificate is not null && settings?.RequestHeader is { } frontProxy
            && Delegated.RequestHeaderAuthenticator.Authenticate(request, certificate, frontProxy) is { } proxied)
            return WithAuthenticatedGroup(proxied);
        var trusted = settings is null ? clientCa : settings.ClientCa;
        if (certificate is not null && trusted is { Count: > 0 })
        {
            var user = FromCertificate(certificate, trusted);
            if (user is not null) return WithAuthenticatedGroup(user);
            return null;
        }

        var header = request.Authorization;
        // kube-apiserver's reading: "Bearer", one space, the token up to the next space. A second space before the
        // token leaves it empty, which authenticates no one (client-go never sends it; a typo must not pass).
        var parts = header.Split(' ', 3);
        if (parts.Length >= 2 && parts[0].Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            var token = parts[1];
            if (token.Length == 0) return null;
            var presented = Encoding.UTF8.GetBytes(token);
            foreach (var (known, user) in _tokens)
            {
                if (CryptographicOperations.FixedTimeEquals(presented, known)) return user;
            }
            if (tokenWebhook is not null && token.Length > 0 && await tokenWebhook.AuthenticateAsync(token, ct) is { } reviewed)
                return WithAuthenticatedGroup(reviewed);
            return null;
        }
        if (header.Length > 0) return null;
        return anonymous ? UserInfo.Anonymous : null;
    }

    private static UserInfo? FromCertificate(X509Certificate2 certificate, X509Certificate2Collection trusted)
    {
        if (!ClientCertificateChains.Chains(certificate, trusted)) return null;
        var subject = certificate.SubjectName;
        var cn = subject.EnumerateRelativeDistinguishedNames()
            .FirstOrDefault(r => r.GetSingleElementType().Value == "2.5.4.3")?.GetSingleElementValue();
        if (string.IsNullOrEmpty(cn)) return null;
        var groups = subject.EnumerateRelativeDistinguishedNames()
            .Where(r => r.GetSingleElementType().Value == "2.5.4.10")
            .Select(r => r.GetSingleElementValue() ?? "").Where(g => g.Length > 0).ToList();
        return new UserInfo(cn, "", groups);
    }

    private static UserInfo WithAuthenticatedGroup(UserInfo user) =>
        user.Groups.Contains("system:authenticated") ? user : user with { Groups = [.. user.Groups, "system:authenticated"] };
}
