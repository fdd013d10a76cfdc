using ClusterRegistry.Api.Http;
using ClusterRegistry.Application.Clusters.Queries.ExportKubeconfig;
using Mediator;

namespace ClusterRegistry.Api.Endpoints;

/// <summary>
/// The <c>clusters/{name}/kubeconfig</c> subresource and its collection form <c>clusters/-/kubeconfig</c> (ADR-009).
/// The caller's address is the connection's remote address: X-Forwarded-For is whatever the client says it is, and
/// the endpoint choice must not be steerable by a header.
/// </summary>
public static class KubeconfigApi
{
    public const string ItemPath = "/clusters/{name}/kubeconfig";
    public const string CollectionPath = "/clusters/" + ExportKubeconfigsQuery.AllClusters + "/kubeconfig";

    public static IEndpointRouteBuilder MapKubeconfigExport(this IEndpointRouteBuilder app, string groupVersionBase)
    {
        // The literal "-" route is more specific than {name}, so routing sends the collection form here.
        app.MapMethods(groupVersionBase + CollectionPath, ["GET"], async (HttpContext http, ISender sender) =>
        {
            RefuseWatch(http.Request);
            var rep = ResponseWriter.Negotiate(http.Request);
            var query = new ExportKubeconfigsQuery(QueryParams.String(http.Request, "labelSelector"),
                QueryParams.String(http.Request, "fieldSelector"), http.Connection.RemoteIpAddress);
            await ResponseWriter.WriteAsync(http, 200, await sender.Send(query, http.RequestAborted), rep);
        });
        app.MapMethods(groupVersionBase + ItemPath, ["GET"], async (HttpContext http, string name, ISender sender) =>
        {
            RefuseWatch(http.Request);
            var rep = ResponseWriter.Negotiate(http.Request);
            var config = await sender.Send(new ExportKubeconfigQuery(name, http.Connection.RemoteIpAddress), http.RequestAborted);
            await ResponseWriter.WriteAsync(http, 200, config, rep);
        });
        return app;
    }

    // A kubeconfig is computed, not stored: there is nothing to watch, and answering ?watch=true with a plain
    // document would leave a watching client waiting for events. 405, as kube-apiserver answers unwatchable paths.
    private static void RefuseWatch(HttpRequest request)
    {
        if (QueryParams.Bool(request, "watch") == true) throw Domain.Meta.ApiErrors.MethodNotAllowed();
    }
}
