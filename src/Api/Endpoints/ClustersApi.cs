using System.Text.Json;
using ClusterRegistry.Api.Http;
using ClusterRegistry.Application.Clusters;
using ClusterRegistry.Application.Clusters.Commands.ApplyCluster;
using ClusterRegistry.Application.Clusters.Commands.CreateCluster;
using ClusterRegistry.Application.Clusters.Commands.DeleteCluster;
using ClusterRegistry.Application.Clusters.Commands.DeleteClusters;
using ClusterRegistry.Application.Clusters.Commands.PatchCluster;
using ClusterRegistry.Application.Clusters.Commands.UpdateCluster;
using ClusterRegistry.Application.Clusters.Queries.GetCluster;
using ClusterRegistry.Application.Clusters.Queries.ListClusters;
using ClusterRegistry.Application.FieldManagement;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Mediator;

namespace ClusterRegistry.Api.Endpoints;

/// <summary>The HTTP surface of clusters: REST verbs on the collection, items and the status subresource (kubeconfig export: KubeconfigApi).</summary>
public static class ClustersApi
{
    public const string Base = "/apis/clusterregistry.k8s.io/v1alpha1";

    public static IEndpointRouteBuilder MapClusters(this IEndpointRouteBuilder app)
    {
        app.MapMethods(Base + "/clusters", ["GET"], Collection);
        app.MapMethods(Base + "/clusters", ["POST"], Create);
        app.MapMethods(Base + "/clusters", ["DELETE"], DeleteCollection);
        app.MapMethods(Base + "/clusters/{name}", ["GET"], (HttpContext h, string name, ISender s) => Get(h, name, null, s));
        app.MapMethods(Base + "/clusters/{name}", ["PUT"], (HttpContext h, string name, ISender s) => Update(h, name, null, s));
        app.MapMethods(Base + "/clusters/{name}", ["PATCH"], (HttpContext h, string name, ISender s) => Patch(h, name, null, s));
        app.MapMethods(Base + "/clusters/{name}", ["DELETE"], Delete);
        app.MapMethods(Base + "/clusters/{name}/status", ["GET"], (HttpContext h, string name, ISender s) => Get(h, name, "status", s));
        app.MapMethods(Base + "/clusters/{name}/status", ["PUT"], (HttpContext h, string name, ISender s) => Update(h, name, "status", s));
        app.MapMethods(Base + "/clusters/{name}/status", ["PATCH"], (HttpContext h, string name, ISender s) => Patch(h, name, "status", s));
        app.MapMethods(Base + "/watch/clusters", ["GET"], (HttpContext h, ISender s) => WatchStreamWriter.ServeAsync(h, ListParametersFrom(h.Request, watch: true), s));
        app.MapMethods(Base + "/watch/clusters/{name}", ["GET"], (HttpContext h, string name, ISender s) =>
            WatchStreamWriter.ServeAsync(h, ListParametersFrom(h.Request, watch: true, name: name), s));
        app.MapKubeconfigExport(Base);
        foreach (var path in new[] { "/clusters", "/clusters/{name}", "/clusters/{name}/status", KubeconfigApi.ItemPath, "/watch/clusters", "/watch/clusters/{name}" })
            app.Map(Base + path, (HttpContext _) => throw ApiErrors.MethodNotAllowed());
        return app;
    }

    private static async Task Collection(HttpContext http, ISender sender)
    {
        var watch = QueryParams.Bool(http.Request, "watch") == true;
        var parameters = ListParametersFrom(http.Request, watch);
        if (watch)
        {
            await WatchStreamWriter.ServeAsync(http, parameters, sender);
            return;
        }
        // Accept is negotiated before doing the work (a 406 costs no read).
        var rep = ResponseWriter.Negotiate(http.Request, Transforms.List);
        var list = await sender.Send(new ListClustersQuery(parameters), http.RequestAborted);
        await ResponseWriter.WriteClusterListAsync(http, list, rep);
    }

    public static ListParameters ListParametersFrom(HttpRequest r, bool watch, string? name = null)
    {
        var fieldSelector = QueryParams.String(r, "fieldSelector");
        if (name is not null)
            fieldSelector = string.IsNullOrEmpty(fieldSelector) ? "metadata.name=" + name : fieldSelector + ",metadata.name=" + name;
        return new ListParameters(
            LabelSelector: QueryParams.String(r, "labelSelector"),
            FieldSelector: fieldSelector,
            Limit: QueryParams.Long(r, "limit") ?? 0,
            Continue: QueryParams.String(r, "continue"),
            ResourceVersion: QueryParams.String(r, "resourceVersion"),
            ResourceVersionMatch: QueryParams.String(r, "resourceVersionMatch"),
            Watch: watch,
            AllowWatchBookmarks: QueryParams.Bool(r, "allowWatchBookmarks") == true,
            SendInitialEvents: QueryParams.Bool(r, "sendInitialEvents"),
            TimeoutSeconds: QueryParams.Long(r, "timeoutSeconds"));
    }

    private static WriteOptions WriteOptionsFrom(HttpRequest r) =>
        new(QueryParams.Strings(r, "dryRun"), QueryParams.String(r, "fieldManager"), QueryParams.String(r, "fieldValidation"),
            ManagedFields.ManagerFor(QueryParams.String(r, "fieldManager"), r.Headers.UserAgent.ToString()));

    private static async Task Create(HttpContext http, ISender sender)
    {
        var rep = ResponseWriter.Negotiate(http.Request, Transforms.Object);
        var body = await RequestBody.ReadObjectAsync(http, RequestBody.ClusterDecodeError);
        var created = await sender.Send(new CreateClusterCommand(body, WriteOptionsFrom(http.Request)), http.RequestAborted);
        http.Items[Auditing.AuditMiddleware.ObjectNameItem] = created.Metadata.Name;
        await ResponseWriter.WriteClusterAsync(http, StatusCodes.Status201Created, created, rep);
    }

    private static async Task Get(HttpContext http, string name, string? subresource, ISender sender)
    {
        var rep = ResponseWriter.Negotiate(http.Request, Transforms.Object);
        var cluster = await sender.Send(new GetClusterQuery(name, subresource), http.RequestAborted);
        await ResponseWriter.WriteClusterAsync(http, StatusCodes.Status200OK, cluster, rep);
    }

    private static async Task Update(HttpContext http, string name, string? subresource, ISender sender)
    {
        var rep = ResponseWriter.Negotiate(http.Request, Transforms.Object);
        var body = await RequestBody.ReadObjectAsync(http, RequestBody.ClusterDecodeError);
        var updated = await sender.Send(new UpdateClusterCommand(name, body, WriteOptionsFrom(http.Request), subresource), http.RequestAborted);
        await ResponseWriter.WriteClusterAsync(http, StatusCodes.Status200OK, updated, rep);
    }

    private static async Task Patch(HttpContext http, string name, string? subresource, ISender sender)
    {
        var rep = ResponseWriter.Negotiate(http.Request, Transforms.Object);
        var contentType = AcceptHeader.ContentType(http.Request.ContentType);
        if (contentType == MediaTypes.ApplyPatch)
        {
            await Apply(http, name, subresource, sender, rep);
            return;
        }
        var type = contentType switch
        {
            MediaTypes.JsonPatch => PatchType.Json,
            MediaTypes.MergePatch => PatchType.Merge,
            MediaTypes.StrategicMergePatch => PatchType.Strategic,
            _ => throw ApiErrors.UnsupportedMediaType(MediaTypes.PatchTypes),
        };
        var bytes = await RequestBody.ReadBytesAsync(http);
        var patch = RequestBody.Parse(bytes, MediaTypes.Json, detail => ApiErrors.BadRequest(detail));
        var command = new PatchClusterCommand(name, type, patch, WriteOptionsFrom(http.Request), QueryParams.Bool(http.Request, "force"), subresource);
        var patched = await sender.Send(command, http.RequestAborted);
        await ResponseWriter.WriteClusterAsync(http, StatusCodes.Status200OK, patched, rep);
    }

    private static async Task Apply(HttpContext http, string name, string? subresource, ISender sender, Representation rep)
    {
        var bytes = await RequestBody.ReadBytesAsync(http);
        // An apply configuration is YAML, and JSON is YAML.
        var configuration = RequestBody.Parse(bytes, MediaTypes.Yaml, RequestBody.ClusterDecodeError);
        var command = new ApplyClusterCommand(name, configuration, WriteOptionsFrom(http.Request), QueryParams.Bool(http.Request, "force") == true, subresource);
        var result = await sender.Send(command, http.RequestAborted);
        await ResponseWriter.WriteClusterAsync(http, result.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK, result.Object, rep);
    }

    private static async Task Delete(HttpContext http, string name, ISender sender)
    {
        // Before the delete runs, as kube-apiserver: an unacceptable Accept is a 406 with the object still there.
        var rep = ResponseWriter.Negotiate(http.Request, Transforms.Object);
        var options = await DeleteOptionsFrom(http);
        var result = await sender.Send(new DeleteClusterCommand(name, options), http.RequestAborted);
        if (!result.Deleted)
        {
            await ResponseWriter.WriteClusterAsync(http, StatusCodes.Status200OK, result.Object, rep);
            return;
        }
        var r = ClusterResource.Info;
        await ResponseWriter.WriteStatusAsync(http, new Status
        {
            Outcome = "Success",
            Code = 200,
            Details = new StatusDetails { Name = name, Group = r.Group, Kind = r.Resource, Uid = result.Object.Metadata.Uid },
        });
    }

    private static async Task DeleteCollection(HttpContext http, ISender sender)
    {
        var rep = ResponseWriter.Negotiate(http.Request, Transforms.List);
        var options = await DeleteOptionsFrom(http);
        var list = await sender.Send(new DeleteClustersCommand(
            QueryParams.String(http.Request, "labelSelector"), QueryParams.String(http.Request, "fieldSelector"), options), http.RequestAborted);
        await ResponseWriter.WriteClusterListAsync(http, list, rep);
    }

    /// <summary>DeleteOptions come in the body (what every client sends) or, when it is empty, as query parameters.</summary>
    private static async Task<DeleteOptions> DeleteOptionsFrom(HttpContext http)
    {
        var bytes = await RequestBody.ReadBytesAsync(http);
        DeleteOptions options;
        if (bytes.Length > 0)
        {
            var type = AcceptHeader.ContentType(http.Request.ContentType) ?? MediaTypes.Json;
            var element = RequestBody.Parse(bytes, type == MediaTypes.Json ? MediaTypes.Json : MediaTypes.Yaml,
                detail => ApiErrors.BadRequest("couldn't get version/kind; json parse error: " + detail));
            try
            {
                options = element.Deserialize<DeleteOptions>(ApiJson.Options) ?? new DeleteOptions();
            }
            catch (JsonException e)
            {
                throw ApiErrors.BadRequest("DeleteOptions cannot be decoded: " + e.Message.Split(" Path:")[0]);
            }
            if (options.Kind is not (null or "DeleteOptions"))
                throw ApiErrors.BadRequest($"no kind \"{options.Kind}\" is registered for the DeleteOptions body");
        }
        else
        {
            options = new DeleteOptions
            {
                GracePeriodSeconds = QueryParams.Long(http.Request, "gracePeriodSeconds"),
                PropagationPolicy = QueryParams.String(http.Request, "propagationPolicy"),
                OrphanDependents = QueryParams.Bool(http.Request, "orphanDependents"),
            };
        }
        var dryRun = QueryParams.Strings(http.Request, "dryRun");
        if (dryRun.Count > 0) options.DryRun = [.. options.DryRun ?? [], .. dryRun];
        return options;
    }
}
