using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ClusterRegistry.Client.Models;
using k8s.Models;

namespace ClusterRegistry.Tests.Client;

/// <summary>
/// The client's hand-written models against the OpenAPI the real server serves (v2 and v3): every property of every
/// clusterregistry schema has a model property of the same JSON name and matching type, every model property is in
/// the schema, and every served clusterregistry schema has a model. A field added to or renamed in the server's types
/// fails here until the client follows (ADR-013-client).
/// </summary>
[Collection(RegistryServerCollection.Name)]
public sealed class OpenApiModelTests(RegistryServerFixture fixture)
{
    private const string Ours = "io.k8s.clusterregistry.v1alpha1.";
    private const string Meta = "io.k8s.apimachinery.pkg.apis.meta.v1.";

    /// <summary>Each model and the schema it mirrors.</summary>
    private static readonly Dictionary<string, Type> Models = new[]
    {
        typeof(Cluster), typeof(ClusterList), typeof(ClusterSpec), typeof(KubernetesApiEndpoints), typeof(ServerAddressByClientCidr),
        typeof(AuthInfo), typeof(AuthProviderConfig), typeof(AuthProviderType), typeof(ClusterStatus), typeof(ClusterVersion), typeof(ClusterCondition),
    }.ToDictionary(t => Ours + (t == typeof(ServerAddressByClientCidr) ? "ServerAddressByClientCIDR" : t.Name));

    /// <summary>
    /// Served metadata fields KubernetesClient's V1ObjectMeta no longer has: the server lists clusterName only to reject
    /// it (as the original did), so a client never sends it.
    /// </summary>
    private static readonly HashSet<string> ServedOnlyMeta = ["clusterName"];

    /// <summary>
    /// KubernetesClient's V1ListMeta fields the server does not serve (a list's selfLink is gone since Kubernetes 1.20;
    /// shardInfo is an alpha feature); they stay null. Listed, so a KubernetesClient upgrade that adds more is looked at.
    /// </summary>
    private static readonly HashSet<string> ClientOnlyListMeta = ["selfLink", "shardInfo"];

    public static TheoryData<string> Documents => new() { "/openapi/v2", "/openapi/v3/apis/clusterregistry.k8s.io/v1alpha1" };

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task Models_MatchServedSchemas_BothWays(string path)
    {
        var schemas = await SchemasAsync(path);
        var problems = new List<string>();

        var served = schemas.Select(s => s.Key).Where(k => k.StartsWith(Ours, StringComparison.Ordinal)).ToHashSet();
        foreach (var missing in served.Except(Models.Keys)) problems.Add($"served schema {missing} has no client model");
        foreach (var extra in Models.Keys.Except(served)) problems.Add($"model {Models[extra].Name} has no served schema {extra}");

        foreach (var (schema, type) in Models.Where(m => served.Contains(m.Key)))
            Compare(schema, schemas[schema]!.AsObject(), type, [], [], problems);
        Compare(Meta + "ObjectMeta", schemas[Meta + "ObjectMeta"]!.AsObject(), typeof(V1ObjectMeta), ServedOnlyMeta, [], problems);
        Compare(Meta + "ListMeta", schemas[Meta + "ListMeta"]!.AsObject(), typeof(V1ListMeta), [], ClientOnlyListMeta, problems);

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private async Task<JsonObject> SchemasAsync(string path)
    {
        using var http = fixture.Server.CreateClient();
        var doc = JsonNode.Parse(await http.GetStringAsync(path))!;
        return (doc["definitions"] ?? doc["components"]!["schemas"])!.AsObject();
    }

    private static void Compare(string schemaName, JsonObject schema, Type type, HashSet<string> servedOnly, HashSet<string> clientOnly,
        List<string> problems)
    {
        var served = (schema["properties"]?.AsObject() ?? []).ToDictionary(p => p.Key, p => SchemaType(p.Value!));
        var model = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .ToDictionary(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? $"<{p.Name} has no JsonPropertyName>", p => ClrType(p.PropertyType));

        foreach (var (name, schemaType) in served)
        {
            if (servedOnly.Contains(name))
            {
                if (model.ContainsKey(name)) problems.Add($"{schemaName}.{name}: listed as served-only but {type.Name} has it now");
                continue;
            }
            if (!model.TryGetValue(name, out var clrType)) problems.Add($"{schemaName}.{name} ({schemaType}) is missing from {type.Name}");
            else if (clrType != schemaType) problems.Add($"{schemaName}.{name}: schema {schemaType}, {type.Name} has {clrType}");
        }
        foreach (var name in model.Keys.Except(served.Keys).Except(clientOnly)) problems.Add($"{type.Name}.{name} is not in the served schema {schemaName}");
        foreach (var name in clientOnly.Where(served.ContainsKey)) problems.Add($"{schemaName}.{name}: listed as client-only but served now");
        foreach (var name in servedOnly.Except(served.Keys)) problems.Add($"{schemaName}.{name}: listed as served-only but no longer served");
    }

    /// <summary>The C# type a schema property calls for, spelled as <see cref="ClrType"/> spells it.</summary>
    private static string SchemaType(JsonNode property)
    {
        var reference = (string?)property["$ref"] ?? (string?)property["allOf"]?[0]?["$ref"];
        if (reference is not null)
        {
            var name = reference[(reference.LastIndexOf('/') + 1)..];
            if (name == Meta + "Time") return "DateTime?";
            if (name.StartsWith(Meta, StringComparison.Ordinal)) return "V1" + name[Meta.Length..];
            return Models.TryGetValue(name, out var model) ? model.Name : "unmodelled " + name;
        }
        return ((string?)property["type"], (string?)property["format"]) switch
        {
            ("string", "byte") => "byte[]",
            ("string", "date-time") => "DateTime?",
            ("string", _) => "string",
            ("integer", "int32") => "int?",
            ("integer", _) => "long?",
            ("boolean", _) => "bool?",
            ("array", _) => $"IList<{SchemaType(property["items"]!)}>",
            ("object", _) when property["additionalProperties"] is { } values => $"IDictionary<string, {SchemaType(values)}>",
            var (t, f) => $"unknown {t}/{f}",
        };
    }

    private static string ClrType(Type t)
    {
        if (Nullable.GetUnderlyingType(t) is { } inner) return ClrType(inner) + "?";
        if (t == typeof(string)) return "string";
        if (t == typeof(byte[])) return "byte[]";
        if (t == typeof(DateTime)) return "DateTime";
        if (t == typeof(long)) return "long";
        if (t == typeof(int)) return "int";
        if (t == typeof(bool)) return "bool";
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IList<>)) return $"IList<{ClrType(t.GetGenericArguments()[0])}>";
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IDictionary<,>))
            return $"IDictionary<{ClrType(t.GetGenericArguments()[0])}, {ClrType(t.GetGenericArguments()[1])}>";
        return t.Name;
    }
}
