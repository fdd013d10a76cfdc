using System.ComponentModel;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using ClusterRegistry.Application.Clusters.Queries.ExportKubeconfig;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using ClusterRegistry.Domain.Schema;

namespace ClusterRegistry.Api.OpenApi;

/// <summary>
/// Builds OpenAPI schemas from the serializer's own metadata for the wire types, so the published schema cannot
/// drift from what the server reads and writes. Named with the Kubernetes definition names.
/// </summary>
public sealed class SchemaGenerator(string refPrefix)
{
    public const string MetaPrefix = "io.k8s.apimachinery.pkg.apis.meta.v1.";
    public const string ClusterPrefix = "io.k8s.clusterregistry.v1alpha1.";

    public SortedDictionary<string, JsonObject> Definitions { get; } = new(StringComparer.Ordinal);

    private bool WrapsReferences => refPrefix != "#/definitions/";

    private JsonObject Wrap(JsonObject reference, string? key = null, JsonNode? value = null)
    {
        if (!WrapsReferences)
        {
            if (key is not null) reference[key] = value;
            return reference;
        }
        var wrapped = new JsonObject();
        if (key is not null) wrapped[key] = value;
        wrapped["allOf"] = new JsonArray(reference);
        return wrapped;
    }

    public const string ClientcmdPrefix = "io.k8s.client-go.tools.clientcmd.api.v1.";

    public static string DefinitionName(Type t) =>
        t == typeof(ServerAddressByClientCidr) ? ClusterPrefix + "ServerAddressByClientCIDR"
        // The exported kubeconfig is client-go's Config: its C# types carry a "Kubeconfig" prefix the definitions do not.
        : t.Namespace == typeof(Kubeconfig).Namespace ? ClientcmdPrefix + (t == typeof(Kubeconfig) ? "Config" : t.Name["Kubeconfig".Length..])
        : (t.Namespace == typeof(ObjectMeta).Namespace ? MetaPrefix : ClusterPrefix) + t.Name;

    public JsonObject Ref(Type t)
    {
        Define(t);
        return new JsonObject { ["$ref"] = refPrefix + DefinitionName(t) };
    }

    public JsonObject SchemaFor(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(string)) return new JsonObject { ["type"] = "string" };
        if (t == typeof(bool)) return new JsonObject { ["type"] = "boolean" };
        if (t == typeof(int)) return new JsonObject { ["type"] = "integer", ["format"] = "int32" };
        if (t == typeof(long)) return new JsonObject { ["type"] = "integer", ["format"] = "int64" };
        if (t == typeof(byte[])) return new JsonObject { ["type"] = "string", ["format"] = "byte" };
        if (t == typeof(DateTimeOffset))
        {
            Definitions.TryAdd(MetaPrefix + "Time", new JsonObject
            {
                ["type"] = "string",
                ["format"] = "date-time",
                ["description"] = "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.",
            });
            return new JsonObject { ["$ref"] = refPrefix + MetaPrefix + "Time" };
        }
        if (t == typeof(JsonObject) || t == typeof(JsonNode))
        {
            Definitions.TryAdd(MetaPrefix + "FieldsV1", new JsonObject
            {
                ["type"] = "object",
                ["description"] = "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.",
            });
            return new JsonObject { ["$ref"] = refPrefix + MetaPrefix + "FieldsV1" };
        }
        var info = ApiJson.Options.GetTypeInfo(t);
        return info.Kind switch
        {
            JsonTypeInfoKind.Dictionary => new JsonObject { ["type"] = "object", ["additionalProperties"] = SchemaFor(info.ElementType!) },
            JsonTypeInfoKind.Enumerable => new JsonObject { ["type"] = "array", ["items"] = SchemaFor(info.ElementType!) },
            JsonTypeInfoKind.Object => Ref(t),
            _ => new JsonObject { ["type"] = "string" },
        };
    }

    private void Define(Type t)
    {
        var name = DefinitionName(t);
        if (Definitions.ContainsKey(name)) return;
        var schema = new JsonObject();
        if (t.GetCustomAttribute<DescriptionAttribute>() is { } typeDescription) schema["description"] = typeDescription.Description;
        schema["type"] = "object";
        Definitions[name] = schema;
        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var p in ApiJson.Options.GetTypeInfo(t).Properties.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var member = p.AttributeProvider as MemberInfo;
            var property = SchemaFor(p.PropertyType);
            // A $ref cannot carry siblings in OpenAPI v3: wrap it to add a description or default. In v2 kube-apiserver
            // writes them beside the $ref, and v2 readers (gnostic, kubectl 1.20's explain and validation) do not
            // follow allOf, so a wrapped reference would read there as an untyped value.
            if (property.ContainsKey("$ref") && (p.Name == "metadata" || member?.GetCustomAttribute<DescriptionAttribute>() is not null))
            {
                if (p.Name == "metadata") property = Wrap(property, "default", new JsonObject());
                else property = Wrap(property);
            }
            if (member?.GetCustomAttribute<DescriptionAttribute>() is { } d) property["description"] = d.Description;
            if (member?.GetCustomAttribute<SchemaFormatAttribute>() is { } f) property["format"] = f.Format;
            if (member?.GetCustomAttribute<ListMapKeysAttribute>() is { } keys)
            {
                property["x-kubernetes-list-map-keys"] = new JsonArray(keys.Keys.Select(k => (JsonNode)k).ToArray());
                property["x-kubernetes-list-type"] = "map";
                property["x-kubernetes-patch-merge-key"] = keys.Keys[0];
                property["x-kubernetes-patch-strategy"] = "merge";
            }
            if (member?.GetCustomAttribute<SchemaRequiredAttribute>() is not null) required.Add(p.Name);
            properties[p.Name] = property;
        }
        schema["properties"] = properties;
        if (required.Count > 0) schema["required"] = required;
        if (GroupVersionKind(t) is { } gvk) schema["x-kubernetes-group-version-kind"] = new JsonArray(gvk);
    }

    public static JsonObject? GroupVersionKind(Type t)
    {
        var r = ClusterResource.Info;
        if (t == typeof(Cluster)) return Gvk(r.Group, r.Version, r.Kind);
        if (t == typeof(ClusterList)) return Gvk(r.Group, r.Version, r.ListKind);
        if (t == typeof(Status)) return Gvk("", "v1", "Status");
        if (t == typeof(DeleteOptions)) return Gvk("", "v1", "DeleteOptions");
        return null;
    }

    public static JsonObject Gvk(string group, string version, string kind) =>
        new() { ["group"] = group, ["kind"] = kind, ["version"] = version };
}
