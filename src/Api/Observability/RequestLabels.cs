namespace ClusterRegistry.Api.Observability;

/// <summary>
/// The labels kube-apiserver puts on its request series, each from a closed set so a client cannot grow the
/// series count: verbs outside kube's list read <c>other</c>, resource labels are only filled for the served
/// resource (and its status subresource), and non-resource requests name one of the server's root paths in
/// <c>subresource</c> (as kube-apiserver reports <c>/healthz</c>) or nothing.
/// </summary>
public readonly record struct RequestLabels(string Verb, string DryRun, string Group, string Version, string Resource, string Subresource,
    string Scope, string Component)
{
    private static readonly string[] RootPaths = ["/healthz", "/livez", "/readyz", "/version", "/metrics", "/openapi/v2", "/openapi/v3", "/apis", "/api"];

    public static RequestLabels Of(HttpContext http, Hosting.RequestInfo info)
    {
        if (info.IsServedResource && info.Subresource is "" or "status")
        {
            return new RequestLabels(ResourceVerb(http, info.Verb), DryRunOf(http), info.Group, info.Version, info.Resource, info.Subresource,
                info.Name.Length > 0 ? "resource" : "cluster", "apiserver");
        }
        var path = http.Request.Path;
        var root = "";
        foreach (var p in RootPaths)
        {
            if (path.StartsWithSegments(p)) { root = p; break; }
        }
        return new RequestLabels(MethodVerb(http.Request.Method), "", "", "", "", root, "", "apiserver");
    }

    /// <summary>kube's reported verbs: the request verb upper-cased, create as POST, update as PUT, server-side apply as APPLY.</summary>
    private static string ResourceVerb(HttpContext http, string verb) => verb switch
    {
        "get" => "GET",
        "list" => "LIST",
        "watch" => "WATCH",
        "create" => "POST",
        "update" => "PUT",
        "patch" => http.Request.ContentType?.StartsWith("application/apply-patch", StringComparison.OrdinalIgnoreCase) == true ? "APPLY" : "PATCH",
        "delete" => "DELETE",
        "deletecollection" => "DELETECOLLECTION",
        _ => "other",
    };

    private static string MethodVerb(string method) => method switch
    {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        _ => "other",
    };

    /// <summary>kube reports <c>All</c> for a dry run and nothing otherwise.</summary>
    private static string DryRunOf(HttpContext http) =>
        http.Request.QueryString.HasValue && http.Request.Query.TryGetValue("dryRun", out var v) && v.Count > 0 ? "All" : "";
}
