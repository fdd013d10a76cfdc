using System.Security.Cryptography;
using System.Text;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Api.Security;

/// <summary>
/// Bearer-token authentication against the configured tokens. Comparison is constant-time per candidate so a
/// token cannot be guessed byte by byte from response times.
/// </summary>
public sealed class Authenticator(IReadOnlyDictionary<string, UserInfo> tokens, bool anonymous)
{
    public bool AnonymousAllowed => anonymous;

    /// <summary>The user for the request; null with credentials that are wrong or missing (when anonymous is off).</summary>
    public UserInfo? Authenticate(HttpRequest request, out bool hadCredentials)
    {
        var header = request.Headers.Authorization.ToString();
        hadCredentials = header.Length > 0;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var presented = Encoding.UTF8.GetBytes(header[7..].Trim());
            foreach (var (token, user) in tokens)
            {
                if (CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(token)))
                    return WithAuthenticatedGroup(user);
            }
            return null;
        }
        if (hadCredentials) return null;
        return anonymous ? UserInfo.Anonymous : null;
    }

    private static UserInfo WithAuthenticatedGroup(UserInfo user) =>
        user.Groups.Contains("system:authenticated") ? user : user with { Groups = [.. user.Groups, "system:authenticated"] };
}

/// <summary>The authorizer when none is configured: every authenticated request is allowed.</summary>
public sealed class AlwaysAllowAuthorizer : IAuthorizer
{
    public ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken ct) =>
        ValueTask.FromResult(AuthorizationDecision.Allow);
}
