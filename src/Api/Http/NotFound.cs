using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Http;

/// <summary>
/// kube-apiserver's two 404s: a Status under a served API group (clients parse it), Go's plain text elsewhere.
/// </summary>
public static class NotFound
{
    public static Task WriteAsync(HttpContext http)
    {
        if (http.Request.Path.StartsWithSegments("/apis/" + Domain.Clusters.ClusterResource.Info.Group))
            return ResponseWriter.WriteStatusAsync(http,
                new ApiStatusException(404, "NotFound", "the server could not find the requested resource", new StatusDetails()).ToStatus());
        http.Response.StatusCode = 404;
        http.Response.ContentType = "text/plain; charset=utf-8";
        return http.Response.WriteAsync("404 page not found\n");
    }
}
