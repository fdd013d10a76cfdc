using System.ComponentModel;
using ClusterRegistry.Domain.Schema;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Domain.Clusters;

/// <summary>A Kubernetes cluster known to the registry (clusterregistry.k8s.io/v1alpha1 Cluster).</summary>
[Description("Cluster contains information about a cluster in a cluster registry.")]
public sealed class Cluster : IApiObject
{
    [Description("APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources")]
    public string? ApiVersion { get; set; }
    [Description("Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds")]
    public string? Kind { get; set; }
    [Description("Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata")]
    public ObjectMeta Metadata { get; set; } = new();
    [Description("Spec is the specification of the cluster. This may or may not be reconciled by an active controller.")]
    public ClusterSpec? Spec { get; set; }
    [Description("Status is the status of the cluster, written through the status subresource.")]
    public ClusterStatus? Status { get; set; }
}

/// <summary>A list of clusters (ClusterList).</summary>
[Description("A list of Kubernetes clusters in the cluster registry.")]
public sealed class ClusterList
{
    [Description("APIVersion defines the versioned schema of this representation of an object.")]
    public string ApiVersion { get; set; } = ClusterResource.Info.ApiVersion;
    [Description("Kind is a string value representing the REST resource this object represents.")]
    public string Kind { get; set; } = ClusterResource.Info.ListKind;
    [Description("Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds")]
    public ListMeta Metadata { get; set; } = new();
    [Description("List of Cluster objects.")]
    [SchemaRequired]
    public List<Cluster> Items { get; set; } = [];
}
