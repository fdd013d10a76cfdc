using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ClusterRegistry.Domain.Meta;

/// <summary>Standard Kubernetes object metadata (metav1.ObjectMeta), JSON names as on the wire.</summary>
public sealed class ObjectMeta
{
    public string? Name { get; set; }
    public string? GenerateName { get; set; }
    public string? Namespace { get; set; }
    public string? SelfLink { get; set; }
    public string? Uid { get; set; }
    public string? ResourceVersion { get; set; }
    public long? Generation { get; set; }
    public DateTimeOffset? CreationTimestamp { get; set; }
    public DateTimeOffset? DeletionTimestamp { get; set; }
    public long? DeletionGracePeriodSeconds { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public List<OwnerReference>? OwnerReferences { get; set; }
    public List<string>? Finalizers { get; set; }
    /// <summary>Removed from Kubernetes; kept only so that setting it can be rejected as the original did.</summary>
    public string? ClusterName { get; set; }
    public List<ManagedFieldsEntry>? ManagedFields { get; set; }

    public ObjectMeta Clone() => new()
    {
        Name = Name, GenerateName = GenerateName, Namespace = Namespace, SelfLink = SelfLink, Uid = Uid,
        ResourceVersion = ResourceVersion, Generation = Generation, CreationTimestamp = CreationTimestamp,
        DeletionTimestamp = DeletionTimestamp, DeletionGracePeriodSeconds = DeletionGracePeriodSeconds,
        Labels = Labels is null ? null : new(Labels), Annotations = Annotations is null ? null : new(Annotations),
        OwnerReferences = OwnerReferences?.Select(o => o with { }).ToList(),
        Finalizers = Finalizers is null ? null : [.. Finalizers], ClusterName = ClusterName,
        ManagedFields = ManagedFields?.Select(m => m.Clone()).ToList(),
    };
}

/// <summary>metav1.OwnerReference.</summary>
public sealed record OwnerReference
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? Uid { get; set; }
    public bool? Controller { get; set; }
    public bool? BlockOwnerDeletion { get; set; }
}

/// <summary>metav1.ManagedFieldsEntry; <c>fieldsV1</c> is kept as raw JSON.</summary>
public sealed class ManagedFieldsEntry
{
    public string? Manager { get; set; }
    public string? Operation { get; set; }
    public string? ApiVersion { get; set; }
    public DateTimeOffset? Time { get; set; }
    public string? FieldsType { get; set; }
    [JsonPropertyName("fieldsV1")]
    public JsonObject? FieldsV1 { get; set; }
    public string? Subresource { get; set; }

    public ManagedFieldsEntry Clone() => new()
    {
        Manager = Manager, Operation = Operation, ApiVersion = ApiVersion, Time = Time, FieldsType = FieldsType,
        FieldsV1 = FieldsV1?.DeepClone().AsObject(), Subresource = Subresource,
    };
}

/// <summary>metav1.ListMeta.</summary>
public sealed class ListMeta
{
    public string? ResourceVersion { get; set; }
    public string? Continue { get; set; }
    public long? RemainingItemCount { get; set; }
}
