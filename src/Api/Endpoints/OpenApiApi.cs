using ClusterRegistry.Api.Http;
using ClusterRegistry.Api.OpenApi;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Endpoints;

/// <summary><c>/openapi/v3</c> (root and group version, content-addressed by hash) and <c>/openapi/v2</c> (JSON or protobuf).</summary>
public static class OpenApiApi
{
    private const string GroupVersionPath = "apis/clusterregistry.k8s.io/v1alpha1";

    public static IEndpointRouteBuilder MapOpenApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/openapi/v3", (HttpContext http) => DiscoveryApi.WriteJson(http, new
        {
            paths = new Dictionary<string, object>
            {
                [GroupVersionPath] = new { serverRelativeURL = $"/openapi/v3/{GroupVersionPath}?hash={OpenApiDocuments.V3.Value.Hash}" },
            },
        }));
        app.MapGet("/openapi/v3/" + GroupVersionPath, (HttpContext http) =>
        {
            var (json, hash) = OpenApiDocuments.V3.Value;
            var requested = http.Request.Query["hash"].ToString();
            if (requested.Length > 0 && requested != hash)
            {
                http.Response.StatusCode = 301;
                http.Response.Headers.Location = $"/openapi/v3/{GroupVersionPath}?hash={hash}";
                return Task.CompletedTask;
            }
            if (!AcceptsJson(http.Request)) throw ApiErrors.NotAcceptable([MediaTypes.Json]);
            http.Response.Headers.ETag = "\"" + hash + "\"";
            http.Response.Headers.Vary = "Accept";
            if (requested.Length > 0)
            {
                http.Response.Headers.CacheControl = "public, immutable";
                http.Response.Headers.Expires = DateTimeOffset.UtcNow.AddYears(1).ToString("R");
            }
            else http.Response.Headers.CacheControl = "no-cache, private";
            if (http.Request.Headers.IfNoneMatch.ToString() == "\"" + hash + "\"")
            {
                http.Response.StatusCode = 304;
                return Task.CompletedTask;
            }
            http.Response.ContentType = MediaTypes.Json;
            return http.Response.WriteAsync(json);
        });
        app.MapGet("/openapi/v2", (HttpContext http) =>
        {
            var accept = http.Request.Headers.Accept.ToString();
            var protobuf = accept.Contains("protobuf", StringComparison.OrdinalIgnoreCase) && !accept.StartsWith("application/json", StringComparison.Ordinal);
            var hash = protobuf ? OpenApiDocuments.V2Protobuf.Value.Hash : OpenApiDocuments.V2.Value.Hash;
            http.Response.Headers.ETag = "\"" + hash + "\"";
            http.Response.Headers.Vary = "Accept";
            if (http.Request.Headers.IfNoneMatch.ToString() == "\"" + hash + "\"")
            {
                http.Response.StatusCode = 304;
                return Task.CompletedTask;
            }
            if (protobuf)
            {
                // kube-openapi serves the protobuf document as octet-stream: Go clients reject the "@" in the spec media type.
                http.Response.ContentType = "application/octet-stream";
                return http.Response.Body.WriteAsync(OpenApiDocuments.V2Protobuf.Value.Bytes).AsTask();
            }
            http.Response.ContentType = MediaTypes.Json;
            return http.Response.WriteAsync(OpenApiDocuments.V2.Value.Json);
        });
        return app;
    }

    private static bool AcceptsJson(HttpRequest request) =>
        AcceptHeader.Parse(request.Headers.Accept.ToString()).Any(r => r.IsJsonCompatible || r.Type.Contains("protobuf"));
}
