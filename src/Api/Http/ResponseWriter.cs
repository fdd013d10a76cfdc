using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Api.Printing;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.Clusters;
using ClusterRegistry.Application.Clusters.Queries.ListClusters;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Http;

/// <summary>
/// The representation negotiated from Accept (once per request, by the endpoint): the wire format, an optional
/// meta.k8s.io transform, and whether the JSON is indented (<c>?pretty=true</c>).
/// </summary>
public sealed record Representation(bool Yaml, string? Transform, string TransformVersion, bool Pretty = false)
{
    public static readonly Representation Json = new(false, null, "v1");

    /// <summary>Compact JSON of the object itself: the form a version's encoded bytes can be written in as they are.</summary>
    public bool IsPlainJson => !Yaml && Transform is null && !Pretty;

    public string TransformApiVersion => "meta.k8s.io/" + TransformVersion;
}

/// <summary>The <c>as=</c> transforms a response supports, as kube-apiserver offers them for a custom resource.</summary>
public static class Transforms
{
    public const string Table = "Table";
    public const string Partial = "PartialObjectMetadata";
    public const string PartialList = "PartialObjectMetadataList";

    /// <summary>For one object (get, writes, watch events).</summary>
    public static readonly string[] Object = [Table, Partial];

    /// <summary>For a list.</summary>
    public static readonly string[] List = [Table, PartialList];
}

/// <summary>
/// Writes API objects in the representation the client asked for. Accept is a list in preference order; the first
/// range the server can produce wins, and when none can, the answer is 406 (never when JSON is acceptable). Plain
/// JSON of a shared <see cref="SharedCluster"/> is written from its encoded bytes; lists join their items' bytes.
/// </summary>
public static class ResponseWriter
{
    private static readonly JsonSerializerOptions Indented = new(ApiJson.Options) { WriteIndented = true };

    /// <param name="transforms">Which <c>as=</c> transforms this response supports (see <see cref="Transforms"/>).</param>
    public static Representation Negotiate(HttpRequest request, params string[] transforms)
    {
        var pretty = QueryParams.Bool(request, "pretty") == true;
        foreach (var range in AcceptHeader.Parse(request.Headers.Accept.ToString()))
        {
            var yaml = range.Type is MediaTypes.Yaml;
            if (!range.IsJsonCompatible && !yaml) continue;
            var @as = range.As;
            if (@as is null) return new Representation(yaml, null, "v1", pretty);
            var group = range.Param("g");
            var version = range.Param("v") ?? "v1";
            if (group == "meta.k8s.io" && version is "v1" or "v1beta1" && transforms.Contains(@as))
                return new Representation(yaml, @as, version, pretty);
        }
        throw ApiErrors.NotAcceptable(MediaTypes.Produced);
    }

    public static async Task WriteAsync(HttpContext http, int status, object value, Representation rep)
    {
        var response = StartResponse(http, status, rep.Yaml ? MediaTypes.Yaml : MediaTypes.Json);
        byte[] body;
        if (rep.Yaml)
            body = System.Text.Encoding.UTF8.GetBytes(Yaml.FromJson(JsonSerializer.SerializeToNode(value, value.GetType(), ApiJson.Options)));
        else
            body = JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), rep.Pretty ? Indented : ApiJson.Options);
        // Whole bodies with their length: small ones go out in one piece, large ones are compressed (LargeResponseCompression).
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, http.RequestAborted);
    }

    /// <summary>Writes one cluster, transformed as negotiated.</summary>
    public static Task WriteClusterAsync(HttpContext http, int status, Cluster cluster, Representation rep) =>
        WriteClusterAsync(http, status, new SharedCluster(cluster), rep);

    /// <summary>Writes one cluster version, transformed as negotiated; plain JSON is its encoded bytes.</summary>
    public static async Task WriteClusterAsync(HttpContext http, int status, SharedCluster version, Representation rep)
    {
        if (rep.IsPlainJson)
        {
            var response = StartResponse(http, status, MediaTypes.Json);
            response.ContentLength = version.JsonLength;
            version.WriteJson(response.BodyWriter);
            await response.BodyWriter.FlushAsync(http.RequestAborted);
            return;
        }
        if (rep.Transform == Transforms.Table && !rep.Yaml && !rep.Pretty)
        {
            // The row from the version's bytes, as for lists (ADR-027, ADR-036).
            var includeObject = IncludeObject(http.Request);
            await TableEncoding.WriteAsync(StartResponse(http, status, MediaTypes.Json), version, includeObject, DateTimeOffset.UtcNow,
                rep.TransformApiVersion, http.RequestAborted);
            return;
        }
        var cluster = version.Object;
        object body = rep.Transform switch
        {
            Transforms.Table => ClusterPrinter.ToTable([cluster], new ListMeta { ResourceVersion = cluster.Metadata.ResourceVersion },
                IncludeObject(http.Request), true, DateTimeOffset.UtcNow, rep.TransformApiVersion),
            Transforms.Partial => ClusterPrinter.Partial(cluster, rep.TransformApiVersion),
            _ => cluster,
        };
        await WriteAsync(http, status, body, rep);
    }

    /// <summary>Writes a cluster list (deletecollection's answer), transformed as negotiated.</summary>
    public static Task WriteClusterListAsync(HttpContext http, ClusterList list, Representation rep) =>
        WriteClusterListAsync(http, new ClusterVersionList(list.Metadata, list.Items.Select(c => new SharedCluster(c)).ToList()), rep);

    /// <summary>Writes a list of cluster versions, transformed as negotiated; plain JSON joins the items' encoded bytes.</summary>
    public static async Task WriteClusterListAsync(HttpContext http, ClusterVersionList list, Representation rep)
    {
        if (rep.IsPlainJson)
        {
            var response = StartResponse(http, 200, MediaTypes.Json);
            await ListEncoding.WriteAsync(response, list, http.RequestAborted);
            return;
        }
        if (rep.Transform == Transforms.Table && !rep.Yaml && !rep.Pretty)
        {
            // Rows from the versions' bytes, not from decoded copies (ADR-027).
            var includeObject = IncludeObject(http.Request);
            await TableEncoding.WriteAsync(StartResponse(http, 200, MediaTypes.Json), list, includeObject, DateTimeOffset.UtcNow,
                rep.TransformApiVersion, http.RequestAborted);
            return;
        }
        var clusters = list.Items.Select(v => v.Object);
        object body = rep.Transform switch
        {
            Transforms.Table => ClusterPrinter.ToTable(clusters, list.Metadata, IncludeObject(http.Request), true, DateTimeOffset.UtcNow,
                rep.TransformApiVersion),
            Transforms.PartialList => new PartialObjectMetadataList
            {
                ApiVersion = rep.TransformApiVersion,
                Metadata = list.Metadata,
                Items = clusters.Select(c => ClusterPrinter.Partial(c, rep.TransformApiVersion)).ToList(),
            },
            _ => new ClusterList { Metadata = list.Metadata, Items = clusters.ToList() },
        };
        await WriteAsync(http, 200, body, rep);
    }

    /// <summary>The includeObject parameter of a Table request; unknown values are a 400.</summary>
    public static string IncludeObject(HttpRequest request)
    {
        var value = QueryParams.String(request, "includeObject");
        return value switch
        {
            null or "" or "Metadata" => "Metadata",
            "Object" or "None" => value,
            _ => throw ApiErrors.BadRequest($"unrecognized includeObject value: \"{value}\""),
        };
    }

    public static Task WriteStatusAsync(HttpContext http, Status status)
    {
        if (status.Details?.RetryAfterSeconds is { } retry && status.Code is 429 or >= 500)
            http.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Representation rep;
        try
        {
            rep = Negotiate(http.Request);
        }
        catch (ApiStatusException)
        {
            rep = Representation.Json;
        }
        return WriteAsync(http, status.Code == 0 ? 200 : status.Code, status, rep);
    }

    /// <summary>Status, content type and the headers every API answer carries (Cache-Control, the request's warnings).</summary>
    internal static HttpResponse StartResponse(HttpContext http, int status, string contentType)
    {
        var response = http.Response;
        response.StatusCode = status;
        if (!response.Headers.ContainsKey("Cache-Control")) response.Headers.CacheControl = "no-cache, private";
        if (http.RequestServices.GetService<IRequestContext>() is { Warnings.Count: > 0 } ctx)
            Warnings.Write(response, ctx.Warnings);
        response.ContentType = contentType;
        return response;
    }
}
