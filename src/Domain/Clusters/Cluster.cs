using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Domain.Clusters;

/// <summary>A Kubernetes cluster known to the registry (clusterregistry.k8s.io/v1alpha1 Cluster).</summary>
public sealed class Cluster : IApiObject
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public ObjectMeta Metadata { get; set; } = new();
    public ClusterSpec? Spec { get; set; }
    public ClusterStatus? Status { get; set; }
}

/// <summary>A list of clusters (ClusterList).</summary>
public sealed class ClusterList
{
    public string ApiVersion { get; set; } = ClusterResource.Info.ApiVersion;
    public string Kind { get; set; } = ClusterResource.Info.ListKind;
    public ListMeta Metadata { get; set; } = new();
    public List<Cluster> Items { get; set; } = [];
}
