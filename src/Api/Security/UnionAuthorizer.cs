using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Api.Security;

/// <summary>The <c>--authorization-mode</c> chain: the first authorizer that allows wins; if none does, the request is denied with the reasons given.</summary>
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
