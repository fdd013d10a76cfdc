using ClusterRegistry.Api.Http;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Meta;
using Serilog;

namespace ClusterRegistry.Api.Security;

/// <summary>Authenticates every request except health probes; failure is a 401 Status.</summary>
public sealed class AuthenticationMiddleware(RequestDelegate next, Authenticator authenticator)
{
    private static readonly string[] OpenPaths = ["/healthz", "/livez", "/readyz"];

    public async Task InvokeAsync(HttpContext http, RequestContext context, IDiagnosticContext diagnostics)
    {
        var path = http.Request.Path.Value ?? "";
        if (OpenPaths.Any(p => path == p || path.StartsWith(p + "/", StringComparison.Ordinal)))
        {
            await next(http);
            return;
        }
        var user = authenticator.Authenticate(http.Request, out _);
        if (user is null)
        {
            diagnostics.Set("User", "");
            await ResponseWriter.WriteStatusAsync(http, ApiErrors.Unauthorized().ToStatus());
            return;
        }
        context.User = user;
        diagnostics.Set("User", user.Name);
        await next(http);
    }
}
