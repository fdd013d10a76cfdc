using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using ClusterRegistry.Application.Clusters.Queries.ExportKubeconfig;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.OpenApi;

/// <summary>
/// The OpenAPI v3 group-version document and the v2 document for the served resource: every path and operation
/// with the GVK extension and its query parameters (PATCH lists <c>fieldValidation</c>, which makes kubectl rely on
/// server-side field validation). Built once; the hash changes whenever the content does.
/// </summary>
public static class OpenApiDocuments
{
    private const string Base = "/apis/clusterregistry.k8s.io/v1alpha1";
    private static readonly string[] PatchContentTypes = ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"];

    public static readonly Lazy<(string Json, string Hash)> V3 = new(() => Freeze(BuildV3()));
    public static readonly Lazy<(string Json, string Hash)> V2 = new(() => Freeze(BuildV2()));

    /// <summary>The committed copies under api/openapi-spec: indented, with a final newline.</summary>
    public static IEnumerable<(string Path, string Json)> Files()
    {
        var indented = new System.Text.Json.JsonSerializerOptions { WriteIndented = true };
        yield return ("swagger.json", BuildV2().ToJsonString(indented) + "\n");
        yield return ("v3/apis__clusterregistry.k8s.io__v1alpha1_openapi.json", BuildV3().ToJsonString(indented) + "\n");
    }

    private static (string, string) Freeze(JsonObject doc)
    {
        var json = doc.ToJsonString();
        return (json, Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(json))));
    }

    private sealed record Op(string Method, string Action, string Id, Type? Body, Type Response, string[] Params, bool WatchList = false, string? Description = null);

    private static IEnumerable<(string Path, bool Named, Op[] Ops)> Paths()
    {
        string[] list = ["allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion", "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch"];
        string[] write = ["dryRun", "fieldManager", "fieldValidation"];
        string[] patch = ["dryRun", "fieldManager", "fieldValidation", "force"];
        string[] delete = ["dryRun", "gracePeriodSeconds", "orphanDependents", "propagationPolicy"];
        yield return (Base + "/clusters", false,
        [
            new("get", "list", "listClusterregistryV1alpha1Cluster", null, typeof(ClusterList), list, WatchList: true),
            new("post", "post", "createClusterregistryV1alpha1Cluster", typeof(Cluster), typeof(Cluster), write),
            new("delete", "deletecollection", "deleteClusterregistryV1alpha1CollectionCluster", typeof(DeleteOptions), typeof(Status), [.. delete, .. list]),
        ]);
        yield return (Base + "/clusters/{name}", true,
        [
            new("get", "get", "readClusterregistryV1alpha1Cluster", null, typeof(Cluster), []),
            new("put", "put", "replaceClusterregistryV1alpha1Cluster", typeof(Cluster), typeof(Cluster), write),
            new("patch", "patch", "patchClusterregistryV1alpha1Cluster", typeof(JsonObject), typeof(Cluster), patch),
            new("delete", "delete", "deleteClusterregistryV1alpha1Cluster", typeof(DeleteOptions), typeof(Status), delete),
        ]);
        yield return (Base + "/clusters/{name}/status", true,
        [
            new("get", "get", "readClusterregistryV1alpha1ClusterStatus", null, typeof(Cluster), []),
            new("put", "put", "replaceClusterregistryV1alpha1ClusterStatus", typeof(Cluster), typeof(Cluster), write),
            new("patch", "patch", "patchClusterregistryV1alpha1ClusterStatus", typeof(JsonObject), typeof(Cluster), patch),
        ]);
        // The kubeconfig export (ADR-009): a client-go v1 Config, never credentials.
        yield return (Base + "/clusters/{name}/kubeconfig", true,
        [
            new("get", "get", "readClusterregistryV1alpha1ClusterKubeconfig", null, typeof(Kubeconfig), [],
                Description: "read a kubeconfig for the specified Cluster, with the server endpoint whose clientCIDR best matches the address of the caller"),
        ]);
        yield return (Base + "/clusters/-/kubeconfig", false,
        [
            new("get", "list", "listClusterregistryV1alpha1ClusterKubeconfig", null, typeof(Kubeconfig), ["fieldSelector", "labelSelector"],
                Description: "read one kubeconfig with a context for every selected Cluster"),
        ]);
    }

    private static JsonObject ParamSchema(string name) => name switch
    {
        "allowWatchBookmarks" or "watch" or "sendInitialEvents" or "force" or "orphanDependents" => new JsonObject { ["type"] = "boolean" },
        "limit" or "timeoutSeconds" or "gracePeriodSeconds" => new JsonObject { ["type"] = "integer" },
        _ => new JsonObject { ["type"] = "string" },
    };

    public static JsonObject BuildV3()
    {
        var gen = new SchemaGenerator("#/components/schemas/");
        var paths = new JsonObject();
        foreach (var (path, named, ops) in Paths())
        {
            var item = new JsonObject();
            foreach (var op in ops)
            {
                var o = new JsonObject
                {
                    ["description"] = op.Description ?? op.Action + " " + ClusterResource.Info.Kind,
                    ["operationId"] = op.Id,
                    ["x-kubernetes-action"] = op.Action,
                    ["x-kubernetes-group-version-kind"] = SchemaGenerator.Gvk(ClusterResource.Info.Group, ClusterResource.Info.Version, ClusterResource.Info.Kind),
                    ["parameters"] = new JsonArray(op.Params.Select(p => (JsonNode)new JsonObject
                    {
                        ["name"] = p,
                        ["in"] = "query",
                        ["uniqueItems"] = true,
                        ["schema"] = ParamSchema(p),
                    }).ToArray()),
                };
                if (op.Body is not null)
                {
                    var content = new JsonObject();
                    var types = op.Method == "patch" ? PatchContentTypes : ["*/*"];
                    var schema = op.Method == "patch" ? PatchRef(gen, "#/components/schemas/") : gen.SchemaFor(op.Body);
                    foreach (var ct in types) content[ct] = new JsonObject { ["schema"] = schema.DeepClone() };
                    o["requestBody"] = new JsonObject { ["content"] = content, ["required"] = op.Method != "delete" };
                }
                var responseContent = new JsonObject();
                foreach (var ct in new[] { "application/json", "application/yaml" })
                    responseContent[ct] = new JsonObject { ["schema"] = gen.SchemaFor(op.Response) };
                if (op.WatchList)
                    responseContent["application/json;stream=watch"] = new JsonObject { ["schema"] = gen.SchemaFor(op.Response) };
                var responses = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK", ["content"] = responseContent } };
                if (op.Method == "post")
                    responses["201"] = new JsonObject { ["description"] = "Created", ["content"] = responseContent.DeepClone() };
                responses["401"] = new JsonObject { ["description"] = "Unauthorized" };
                o["responses"] = responses;
                item[op.Method] = o;
            }
            var common = new JsonArray();
            if (named)
                common.Add(new JsonObject { ["name"] = "name", ["in"] = "path", ["required"] = true, ["description"] = "name of the Cluster", ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true } });
            common.Add(new JsonObject { ["name"] = "pretty", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true } });
            item["parameters"] = common;
            paths[path] = item;
        }
        gen.Ref(typeof(Status));
        var schemas = new JsonObject();
        foreach (var (name, schema) in gen.Definitions) schemas[name] = schema;
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "ClusterRegistry", ["version"] = "v1alpha1" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    public static JsonObject BuildV2()
    {
        var gen = new SchemaGenerator("#/definitions/");
        var paths = new JsonObject();
        foreach (var (path, named, ops) in Paths())
        {
            var item = new JsonObject();
            foreach (var op in ops)
            {
                var parameters = new JsonArray();
                if (op.Body is not null)
                    parameters.Add(new JsonObject
                    {
                        ["name"] = "body",
                        ["in"] = "body",
                        ["required"] = op.Method != "delete",
                        ["schema"] = op.Method == "patch" ? PatchRef(gen, "#/definitions/") : gen.SchemaFor(op.Body),
                    });
                foreach (var p in op.Params)
                {
                    var param = ParamSchema(p);
                    param["name"] = p;
                    param["in"] = "query";
                    param["uniqueItems"] = true;
                    parameters.Add(param);
                }
                item[op.Method] = new JsonObject
                {
                    ["description"] = op.Description ?? op.Action + " " + ClusterResource.Info.Kind,
                    ["operationId"] = op.Id,
                    ["consumes"] = op.Method == "patch" ? new JsonArray(PatchContentTypes.Select(c => (JsonNode)c).ToArray()) : new JsonArray("*/*"),
                    ["produces"] = new JsonArray("application/json", "application/yaml"),
                    ["schemes"] = new JsonArray("https"),
                    ["parameters"] = parameters,
                    ["responses"] = new JsonObject
                    {
                        ["200"] = new JsonObject { ["description"] = "OK", ["schema"] = gen.SchemaFor(op.Response) },
                        ["401"] = new JsonObject { ["description"] = "Unauthorized" },
                    },
                    ["x-kubernetes-action"] = op.Action,
                    ["x-kubernetes-group-version-kind"] = SchemaGenerator.Gvk(ClusterResource.Info.Group, ClusterResource.Info.Version, ClusterResource.Info.Kind),
                };
            }
            var common = new JsonArray();
            if (named) common.Add(new JsonObject { ["name"] = "name", ["in"] = "path", ["required"] = true, ["type"] = "string", ["uniqueItems"] = true, ["description"] = "name of the Cluster" });
            common.Add(new JsonObject { ["name"] = "pretty", ["in"] = "query", ["type"] = "string", ["uniqueItems"] = true });
            item["parameters"] = common;
            paths[path] = item;
        }
        gen.Ref(typeof(Status));
        var definitions = new JsonObject();
        foreach (var (name, schema) in gen.Definitions) definitions[name] = schema;
        return new JsonObject
        {
            ["swagger"] = "2.0",
            ["info"] = new JsonObject { ["title"] = "ClusterRegistry", ["version"] = "v1alpha1" },
            ["paths"] = paths,
            ["definitions"] = definitions,
        };
    }

    private static JsonObject PatchRef(SchemaGenerator gen, string prefix)
    {
        gen.Definitions.TryAdd(SchemaGenerator.MetaPrefix + "Patch", new JsonObject
        {
            ["type"] = "object",
            ["description"] = "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
        });
        return new JsonObject { ["$ref"] = prefix + SchemaGenerator.MetaPrefix + "Patch" };
    }

    /// <summary>
    /// The v2 document as gnostic's protobuf <c>openapi.v2.Document</c>, converted from the JSON document served
    /// beside it, with its own hash: kubectl caches /openapi/v2 by ETag, and the two bodies differ.
    /// </summary>
    public static readonly Lazy<(byte[] Bytes, string Hash)> V2Protobuf = new(() =>
    {
        var bytes = GnosticV2.Convert((JsonObject)JsonNode.Parse(V2.Value.Json)!).ToByteArray();
        return (bytes, Convert.ToHexString(SHA512.HashData(bytes)));
    });
}
