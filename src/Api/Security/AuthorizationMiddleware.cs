using ClusterRegistry.Api.Hosting;
using ClusterRegistry.Api.Http;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Security;

/// <summary>
/// The one authorization point: every authenticated request is put to the authorizer before its body is read, as
/// kube-apiserver's filter chain does: resource requests with their verb, resource, subresource and name;
/// everything else (discovery, OpenAPI, version, metrics) as a non-resource request on its path. A denial is 403.
/// Health probes are not authenticated and so not authorized either.
/// </summary>
public sealed class AuthorizationMiddleware(RequestDelegate next, IAuthorizer authorizer)
{
    public async Task InvokeAsync(HttpContext http, IRequestContext context)
    {
        if (AuthenticationMiddleware.IsHealthPath(http.Request.Path))
        {
            await next(http);
            return;
        }
        var user = context.User;
        var info = RequestInfo.Of(http);
        var path = http.Request.Path.Value ?? "/";
        var attributes = info.IsResourceRequest
            ? new AuthorizationAttributes(user, info.Verb, true, ApiGroup: info.Group, ApiVersion: info.Version, Resource: info.Resource,
                Subresource: info.Subresource, Name: info.Name)
            : new AuthorizationAttributes(user, info.Verb, false, Path: path);
        var decision = await authorizer.DecideAsync(attributes, http.RequestAborted);
        if (decision.Allowed)
        {
            await next(http);
            return;
        }
        var error = info.IsServedResource
            ? ApiErrors.Forbidden(Domain.Clusters.ClusterResource.Info, info.Name.Length > 0 ? info.Name : null, user.Name, info.Verb,
                info.Subresource.Length > 0 ? info.Subresource : null, decision.Reason)
            : info.IsResourceRequest
            ? ApiErrors.ForbiddenResource(info.Resource + "." + info.Group, info.Resource, info.Group, info.Name, user.Name, info.Verb,
                info.Subresource, decision.Reason)
            : ApiErrors.ForbiddenPath(user.Name, info.Verb, path, decision.Reason);
        await ResponseWriter.WriteStatusAsync(http, error.ToStatus());
    }
}
