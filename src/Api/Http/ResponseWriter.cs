using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Api.Printing;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Http;

/// <summary>The representation negotiated from Accept: the wire format and an optional meta.k8s.io transform.</summary>
public sealed record Representation(bool Yaml, string? Transform, string TransformVersion)
{
    public static readonly Representation Json = new(false, null, "v1");
}

/// <summary>
/// Writes API objects in the representation the client asked for. Accept is a list in preference order; the first
/// range the server can produce wins, and when none can, the answer is 406 (never when JSON is acceptable).
/// </summary>
public static class ResponseWriter
{
    private static readonly JsonSerializerOptions Indented = new(ApiJson.Options) { WriteIndented = true };

    /// <param name="transforms">Which <c>as=</c> transforms this response supports (Table, PartialObjectMetadata[List]).</param>
    public static Representation Negotiate(HttpRequest request, params string[] transforms)
    {
        foreach (var range in AcceptHeader.Parse(request.Headers.Accept.ToString()))
        {
            var yaml = range.Type is MediaTypes.Yaml;
            if (!range.IsJsonCompatible && !yaml) continue;
            var @as = range.As;
            if (@as is null) return new Representation(yaml, null, "v1");
            var group = range.Param("g");
            var version = range.Param("v") ?? "v1";
            if (group == "meta.k8s.io" && version is "v1" or "v1beta1" && transforms.Contains(@as))
                return new Representation(yaml, @as, version);
        }
        throw ApiErrors.NotAcceptable(MediaTypes.Produced);
    }

    public static async Task WriteAsync(HttpContext http, int status, object value, Representation rep)
    {
        var response = http.Response;
        response.StatusCode = status;
        if (!response.Headers.ContainsKey("Cache-Control")) response.Headers.CacheControl = "no-cache, private";
        if (http.RequestServices.GetService<IRequestContext>() is { Warnings.Count: > 0 } ctx)
            Warnings.Write(response, ctx.Warnings);
        var pretty = QueryParams.Bool(http.Request, "pretty") == true;
        if (rep.Yaml)
        {
            response.ContentType = MediaTypes.Yaml;
            await response.WriteAsync(Yaml.FromJson(JsonSerializer.SerializeToNode(value, value.GetType(), ApiJson.Options)), http.RequestAborted);
            return;
        }
        response.ContentType = MediaTypes.Json;
        await JsonSerializer.SerializeAsync(response.Body, value, value.GetType(), pretty ? Indented : ApiJson.Options, http.RequestAborted);
    }

    /// <summary>Writes one cluster, transformed as negotiated.</summary>
    public static Task WriteClusterAsync(HttpContext http, int status, Cluster cluster)
    {
        var rep = Negotiate(http.Request, "Table", "PartialObjectMetadata");
        object body = rep.Transform switch
        {
            "Table" => WithVersion(ClusterPrinter.ToTable([cluster], new ListMeta { ResourceVersion = cluster.Metadata.ResourceVersion },
                IncludeObject(http.Request), true, DateTimeOffset.UtcNow), rep),
            "PartialObjectMetadata" => new PartialObjectMetadata { Metadata = cluster.Metadata, ApiVersion = "meta.k8s.io/" + rep.TransformVersion },
            _ => cluster,
        };
        return WriteAsync(http, status, body, rep);
    }

    /// <summary>Writes a cluster list, transformed as negotiated.</summary>
    public static Task WriteClusterListAsync(HttpContext http, ClusterList list)
    {
        var rep = Negotiate(http.Request, "Table", "PartialObjectMetadataList");
        object body = rep.Transform switch
        {
            "Table" => WithVersion(ClusterPrinter.ToTable(list.Items, list.Metadata, IncludeObject(http.Request), true, DateTimeOffset.UtcNow), rep),
            "PartialObjectMetadataList" => new PartialObjectMetadataList
            {
                ApiVersion = "meta.k8s.io/" + rep.TransformVersion,
                Metadata = list.Metadata,
                Items = list.Items.Select(c => new PartialObjectMetadata { Metadata = c.Metadata, ApiVersion = "meta.k8s.io/" + rep.TransformVersion }).ToList(),
            },
            _ => list,
        };
        return WriteAsync(http, 200, body, rep);
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

    public static Table WithVersion(Table table, Representation rep)
    {
        table.ApiVersion = "meta.k8s.io/" + rep.TransformVersion;
        return table;
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

    public static JsonNode ToNode(object value) => JsonSerializer.SerializeToNode(value, value.GetType(), ApiJson.Options)!;
}
