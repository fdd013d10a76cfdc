using ClusterRegistry.Domain.Meta;
using Microsoft.AspNetCore.Http.Features;

namespace ClusterRegistry.Api.Http;

/// <summary>
/// Refuses request targets that Kestrel would rewrite before routing. Kestrel removes dot segments (also
/// percent-encoded ones) from the path, so <c>DELETE .../clusters/x/..</c> would reach the collection and run as
/// deletecollection; kube-apiserver answers such paths with 404. The check reads the raw target, so no rewrite can
/// change the resource, the name or the verb a request is authorized and executed as. Empty segments in a resource
/// path are refused for the same reason: <c>.../clusters/</c> with a name left out must not mean the collection.
/// Methods are case-sensitive tokens (RFC 9110); lower-case ones are not the verbs kube-apiserver serves.
/// </summary>
public sealed class RequestTargetMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext http)
    {
        if (!IsUpperCaseMethod(http.Request.Method))
            return ResponseWriter.WriteStatusAsync(http, ApiErrors.MethodNotAllowed().ToStatus());
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.Value ?? "/";
        return IsRewritable(RequestTarget.PathOf(raw)) ? NotFound.WriteAsync(http) : next(http);
    }

    private static bool IsUpperCaseMethod(string method)
    {
        foreach (var c in method)
            if (c is < 'A' or > 'Z') return false;
        return method.Length > 0;
    }

    /// <summary>Whether the raw path holds a segment Kestrel would remove or that would shift a resource path.</summary>
    internal static bool IsRewritable(ReadOnlySpan<char> path)
    {
        var segments = 0;
        var emptyInside = false;
        var resourcePath = path.StartsWith("/apis/", StringComparison.Ordinal);
        foreach (var range in path.Split('/'))
        {
            var segment = path[range];
            if (range.Start.Value == 0) continue; // the part before the leading slash
            if (RequestTarget.IsDotSegment(segment)) return true;
            if (segment.IsEmpty) emptyInside = true;
            else segments++;
        }
        // "/apis/" and "/apis/group/" are discovery documents clients ask for with a trailing slash; from the
        // resource (fourth segment) on, an empty segment changes which object is meant.
        return resourcePath && emptyInside && segments >= 4;
    }
}
