using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Domain.Clusters;

/// <summary>The names under which clusters are served.</summary>
public static class ClusterResource
{
    public static readonly GroupResource Info =
        new("clusterregistry.k8s.io", "v1alpha1", "clusters", "Cluster", "ClusterList", "cluster");

    /// <summary>Fields usable in a field selector, as for a CRD.</summary>
    public static readonly IReadOnlyList<string> SelectableFields = ["metadata.name", "metadata.namespace"];
}
