namespace ClusterRegistry.Api.Hosting;

/// <summary>The Kubernetes reading of a request path and method (k8s RequestInfoFactory), for logs and authorization.</summary>
public sealed record RequestInfo(bool IsResourceRequest, string Verb, string Resource, string Subresource, string Name, string Group = "", string Version = "")
{
    /// <summary>A health probe (<c>/healthz</c>, <c>/livez</c>, <c>/readyz</c>): not authenticated, not limited, not in flight.</summary>
    public bool IsHealthProbe { get; private init; }

    /// <summary>A request on the served clusters resource (authorized by the Mediator pipeline).</summary>
    public bool IsServedResource => IsResourceRequest && Group == Domain.Clusters.ClusterResource.Info.Group && Resource == Domain.Clusters.ClusterResource.Info.Resource;

    /// <summary>
    /// The request's info, parsed once and kept in the request's features, so logging, metrics, limits,
    /// authentication, authorization and audit all read the same answer.
    /// </summary>
    public static RequestInfo Of(HttpContext http)
    {
        var info = http.Features.Get<RequestInfo>();
        if (info is null)
        {
            info = From(http.Request) with { IsHealthProbe = Security.AuthenticationMiddleware.IsHealthPath(http.Request.Path) };
            http.Features.Set(info);
        }
        return info;
    }

    private static RequestInfo From(HttpRequest request)
    {
        var parts = (request.Path.Value ?? "").Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var method = request.Method.ToUpperInvariant();
        if (parts.Length < 4 || parts[0] != "apis")
            return new RequestInfo(false, NonResourceVerb(method), "", "", "");
        var rest = parts[3..];
        var watchPath = rest.Length > 0 && rest[0] == "watch";
        if (watchPath) rest = rest[1..];
        var resource = rest.Length > 0 ? rest[0] : "";
        var name = rest.Length > 1 ? rest[1] : "";
        var sub = rest.Length > 2 ? rest[2] : "";
        var watch = watchPath || Http.QueryParams.Bool(request, "watch") == true;
        var verb = method switch
        {
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => name.Length == 0 ? "deletecollection" : "delete",
            "GET" or "HEAD" => watch ? "watch" : name.Length == 0 ? "list" : "get",
            _ => method.ToLowerInvariant(),
        };
        // The merged kubeconfig export (clusters/-/kubeconfig) reads many clusters: it is a list, not a get of "-" (ADR-009).
        if (verb == "get" && name == "-" && sub == "kubeconfig" && resource == Domain.Clusters.ClusterResource.Info.Resource
            && parts[1] == Domain.Clusters.ClusterResource.Info.Group)
            (verb, name) = ("list", "");
        return new RequestInfo(true, verb, resource, sub, name, parts[1], parts[2]);
    }

    /// <summary>Non-resource verbs are the lower-cased HTTP method (get, post, put, patch, delete), HEAD reading as get.</summary>
    private static string NonResourceVerb(string method) => method == "HEAD" ? "get" : method.ToLowerInvariant();
}
