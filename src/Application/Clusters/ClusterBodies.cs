using System.Text.Json;
using ClusterRegistry.Application.Serialization;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Clusters;

/// <summary>Decoding of Cluster request bodies with the checks every write path shares.</summary>
public static class ClusterBodies
{
    private static GroupResource R => ClusterResource.Info;

    /// <summary>Decodes a full Cluster body; apiVersion and kind must name this resource.</summary>
    public static Cluster Decode(JsonElement body, FieldValidationMode mode, Action<string> warn)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw ApiErrors.CannotBeHandledAs(R, "the body must be a JSON or YAML object");
        var cluster = ObjectDecoder.Decode<Cluster>(body, mode, R, warn);
        if (string.IsNullOrEmpty(cluster.Kind))
            throw ApiErrors.BadRequest($"Object 'Kind' is missing in '{Truncate(body.GetRawText())}'");
        if (string.IsNullOrEmpty(cluster.ApiVersion))
            throw ApiErrors.BadRequest($"Object 'apiVersion' is missing in '{Truncate(body.GetRawText())}'");
        if (cluster.ApiVersion != R.ApiVersion)
            throw ApiErrors.BadRequest($"the API version in the data ({cluster.ApiVersion}) does not match the expected API version ({R.ApiVersion})");
        if (cluster.Kind != R.Kind)
            throw ApiErrors.BadRequest($"the kind in the data ({cluster.Kind}) does not match the expected kind ({R.Kind})");
        Normalize(cluster);
        // Cluster-scoped: a namespace in the body is cleared, as kube-apiserver does.
        cluster.Metadata.Namespace = null;
        return cluster;
    }

    /// <summary>
    /// JSON nulls where Go would have decoded zero values: <c>"metadata": null</c> is empty metadata and a null string
    /// in a string map is "" (what kube-apiserver's decoder produces), so validation sees every value.
    /// </summary>
    internal static void Normalize(Cluster cluster)
    {
        // The serializer leaves a JSON null in a property the type declares non-null.
        cluster.Metadata ??= new ObjectMeta();
        var m = cluster.Metadata;
        NullsToEmpty(m.Labels);
        NullsToEmpty(m.Annotations);
        m.ManagedFields?.RemoveAll(e => e is null);
        foreach (var provider in cluster.Spec?.AuthInfo?.Providers ?? [])
            NullsToEmpty(provider?.Config);
    }

    private static void NullsToEmpty(Dictionary<string, string>? map)
    {
        if (map is null) return;
        foreach (var key in map.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList()) map[key] = "";
    }

    private static string Truncate(string s) => s.Length <= 256 ? s : s[..256] + "...";
}
