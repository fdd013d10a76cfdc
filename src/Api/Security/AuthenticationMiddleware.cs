using ClusterRegistry.Api.Hosting;
using ClusterRegistry.Api.Http;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Meta;
using Serilog;

namespace ClusterRegistry.Api.Security;

/// <summary>
/// Authenticates every request except health probes (401 on failure), then authorizes requests that are not for
/// the served resource (discovery, OpenAPI, version) as non-resource requests; resource requests are authorized in
/// the Mediator pipeline, where their verb and name are known.
/// </summary>
public sealed class AuthenticationMiddleware(RequestDelegate next, Authenticator authenticator, IAuthorizer authorizer, Auditing.AuditLog? audit = null)
{
    public static bool IsHealthPath(PathString path) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/livez") || path.StartsWithSegments("/readyz");

    public async Task InvokeAsync(HttpContext http, RequestContext context, IDiagnosticContext diagnostics)
    {
        if (IsHealthPath(http.Request.Path))
        {
            await next(http);
            return;
        }
        var user = await authenticator.AuthenticateAsync(http);
        if (user is null)
        {
            diagnostics.Set("User", "");
            audit?.WriteFailedAuthentication(http);
            await ResponseWriter.WriteStatusAsync(http, ApiErrors.Unauthorized().ToStatus());
            return;
        }
        context.User = user;
        diagnostics.Set("User", user.Name);
        http.Items[typeof(UserInfo)] = user;

        // Every request is authorized here, before its body is read, as kube-apiserver's filter chain does; the
        // Mediator pipeline skips the same check for the served resource and keeps it for other callers.
        var info = RequestInfo.Of(http);
        {
            var attributes = info.IsResourceRequest
                ? new AuthorizationAttributes(user, info.Verb, true, ApiGroup: info.Group, ApiVersion: info.Version, Resource: info.Resource, Subresource: info.Subresource, Name: info.Name)
                : new AuthorizationAttributes(user, info.Verb, false, Path: http.Request.Path.Value ?? "/");
            var decision = await authorizer.DecideAsync(attributes, http.RequestAborted);
            if (!decision.Allowed)
            {
                var error = info.IsServedResource
                    ? ApiErrors.Forbidden(Domain.Clusters.ClusterResource.Info, info.Name.Length > 0 ? info.Name : null, user.Name, info.Verb,
                        info.Subresource.Length > 0 ? info.Subresource : null, decision.Reason)
                    : info.IsResourceRequest
                    ? ApiErrors.ForbiddenResource(info.Resource + "." + info.Group, info.Resource, info.Group, info.Name, user.Name, info.Verb, info.Subresource, decision.Reason)
                    : ApiErrors.ForbiddenPath(user.Name, info.Verb, http.Request.Path.Value ?? "/", decision.Reason);
                await ResponseWriter.WriteStatusAsync(http, error.ToStatus());
                return;
            }
            if (info.IsServedResource) context.PreAuthorized = attributes;
        }
        await next(http);
    }
}
