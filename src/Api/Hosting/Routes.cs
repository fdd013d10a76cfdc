using ClusterRegistry.Api.Endpoints;
using ClusterRegistry.Api.Http;
using ClusterRegistry.Api.Observability;

namespace ClusterRegistry.Api.Hosting;

/// <summary>Every path the server answers.</summary>
public static class Routes
{
    /// <summary>Read-only documents: other methods are 405 Status answers, as kube-apiserver gives.</summary>
    private static readonly string[] ReadOnly =
        ["/apis", "/apis/{group}", "/apis/{group}/{version}", "/api", "/api/v1", "/version", "/openapi/v2", "/openapi/v3", "/openapi/v3/{**rest}"];

    public static void MapApiServer(this WebApplication app)
    {
        app.MapHealth();
        app.MapVersion();
        app.MapDiscovery();
        app.MapOpenApi();
        app.MapClusters();
        app.MapIntrospection();
        app.MapMetrics();
        foreach (var path in ReadOnly)
            app.Map(path, (HttpContext _) => throw Domain.Meta.ApiErrors.MethodNotAllowed());
        app.MapFallback(NotFound.WriteAsync);
    }
}
