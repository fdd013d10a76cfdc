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
            throw ApiErrors.BadRequest($"{R.Kind} in version \"{R.Version}\" cannot be handled as a {R.Kind}: the body must be a JSON or YAML object");
        var cluster = ObjectDecoder.Decode<Cluster>(body, mode, R, warn);
        if (string.IsNullOrEmpty(cluster.Kind))
            throw ApiErrors.BadRequest($"Object 'Kind' is missing in '{Truncate(body.GetRawText())}'");
        if (string.IsNullOrEmpty(cluster.ApiVersion))
            throw ApiErrors.BadRequest($"Object 'apiVersion' is missing in '{Truncate(body.GetRawText())}'");
        if (cluster.ApiVersion != R.ApiVersion)
            throw ApiErrors.BadRequest($"the API version in the data ({cluster.ApiVersion}) does not match the expected API version ({R.ApiVersion})");
        if (cluster.Kind != R.Kind)
            throw ApiErrors.BadRequest($"the kind in the data ({cluster.Kind}) does not match the expected kind ({R.Kind})");
        // Cluster-scoped: a namespace in the body is cleared, as kube-apiserver does.
        cluster.Metadata.Namespace = null;
        return cluster;
    }

    private static string Truncate(string s) => s.Length <= 256 ? s : s[..256] + "...";
}
