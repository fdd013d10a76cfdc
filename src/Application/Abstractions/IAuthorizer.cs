namespace ClusterRegistry.Application.Abstractions;

/// <summary>What a request wants to do, as kube-apiserver's authorizer.Attributes.</summary>
public sealed record AuthorizationAttributes(
    UserInfo User,
    string Verb,
    bool IsResourceRequest,
    string Path = "",
    string ApiGroup = "",
    string ApiVersion = "",
    string Resource = "",
    string Subresource = "",
    string Name = "");

/// <summary>The decision of an authorizer: allowed, denied, or no opinion, with a reason for messages.</summary>
public sealed record AuthorizationDecision(bool Allowed, string Reason = "")
{
    public static readonly AuthorizationDecision Allow = new(true);
}

/// <summary>
/// Decides whether a request may proceed. Implementations must fail closed: an error while deciding is a
/// denial, never an exception that lets the request through.
/// </summary>
public interface IAuthorizer
{
    /// <summary>Returns the decision for <paramref name="attributes"/>.</summary>
    ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken ct);
}

public static class AuthorizerExtensions
{
    /// <summary>
    /// Asks <paramref name="authorizer"/> and fails closed: an authorizer that throws (other than for cancellation)
    /// denies. Every caller goes through here, so no path can let an error through.
    /// </summary>
    public static async ValueTask<AuthorizationDecision> DecideAsync(this IAuthorizer authorizer, AuthorizationAttributes attributes, CancellationToken ct)
    {
        try
        {
            return await authorizer.AuthorizeAsync(attributes, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new AuthorizationDecision(false, "authorizer error");
        }
    }
}
