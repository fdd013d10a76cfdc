namespace ClusterRegistry.Api.Http;

/// <summary>Media types the server reads and writes.</summary>
public static class MediaTypes
{
    public const string Json = "application/json";
    public const string Yaml = "application/yaml";
    public const string JsonPatch = "application/json-patch+json";
    public const string MergePatch = "application/merge-patch+json";
    public const string StrategicMergePatch = "application/strategic-merge-patch+json";
    public const string ApplyPatch = "application/apply-patch+yaml";
    public const string Protobuf = "application/vnd.kubernetes.protobuf";

    public static readonly string[] Produced = [Json, Yaml, Protobuf];
    public static readonly string[] PatchTypes = [JsonPatch, MergePatch, StrategicMergePatch, ApplyPatch];
}
