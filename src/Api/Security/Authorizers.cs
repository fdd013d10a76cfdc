using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Api.Security;

/// <summary>
/// Members of <c>system:masters</c> may do everything, before any configured authorizer is asked (kube-apiserver's
/// privileged-group authorizer): the generated admin keeps working with a webhook that does not know it.
/// </summary>
public sealed class PrivilegedGroupAuthorizer : IAuthorizer
{
    public const string Group = "system:masters";

    public ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken ct) =>
        ValueTask.FromResult(attributes.User.Groups.Contains(Group) ? AuthorizationDecision.Allow : new AuthorizationDecision(false));
}

/// <summary>
/// The <c>--authorization-mode</c> chain: the first authorizer that allows wins; if none does, the request is denied
/// with the reasons given.
/// </summary>
public sealed class UnionAuthorizer(IReadOnlyList<IAuthorizer> authorizers) : IAuthorizer
{
    public async ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken ct)
    {
        var reasons = new List<string>();
        foreach (var a in authorizers)
        {
            var decision = await a.AuthorizeAsync(attributes, ct);
            if (decision.Allowed) return decision;
            if (decision.Reason.Length > 0) reasons.Add(decision.Reason);
        }
        return new AuthorizationDecision(false, string.Join(", ", reasons));
    }
}

/// <summary>The authorizer for <c>--authorization-mode AlwaysAllow</c> (and when none is configured).</summary>
public sealed class AlwaysAllowAuthorizer : IAuthorizer
{
    public ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken ct) =>
        ValueTask.FromResult(AuthorizationDecision.Allow);
}

/// <summary>The authorizer for <c>--authorization-mode AlwaysDeny</c>.</summary>
public sealed class AlwaysDenyAuthorizer : IAuthorizer
{
    public ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken ct) =>
        ValueTask.FromResult(new AuthorizationDecision(false, "Everything is forbidden."));
}
