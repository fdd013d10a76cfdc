using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Api.Security.Delegated;

/// <summary>
/// <c>--authorization-always-allow-paths</c>: non-resource paths allowed without asking the host (a trailing
/// <c>*</c> allows a prefix), so probes keep answering while the host is away.
/// </summary>
public sealed class AlwaysAllowPathsAuthorizer(IReadOnlyList<string> paths) : IAuthorizer
{
    public ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken ct)
    {
        var allowed = !attributes.IsResourceRequest && paths.Any(p =>
            p.EndsWith('*') ? attributes.Path.StartsWith(p[..^1], StringComparison.Ordinal) : attributes.Path == p);
        return ValueTask.FromResult(allowed ? AuthorizationDecision.Allow : new AuthorizationDecision(false));
    }
}
