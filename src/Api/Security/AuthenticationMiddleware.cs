using ClusterRegistry.Api.Http;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Security;

/// <summary>
/// Authenticates every request except health probes: the user goes into the request context (and the request's
/// items, for logs and audit); a request no authenticator accepts is audited and answered 401.
/// </summary>
public sealed class AuthenticationMiddleware(RequestDelegate next, IAuthenticator authenticator, Auditing.AuditLog? audit = null)
{
    public static bool IsHealthPath(PathString path) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/livez") || path.StartsWithSegments("/readyz");

    public async Task InvokeAsync(HttpContext http, RequestContext context)
    {
        if (IsHealthPath(http.Request.Path))
        {
            await next(http);
            return;
        }
        var user = await authenticator.AuthenticateAsync(new HttpAuthenticationRequest(http), http.RequestAborted);
        if (user is null)
        {
            audit?.WriteFailedAuthentication(http);
            await ResponseWriter.WriteStatusAsync(http, ApiErrors.Unauthorized().ToStatus());
            return;
        }
        context.User = user;
        http.Items[typeof(UserInfo)] = user;
        await next(http);
    }
}
