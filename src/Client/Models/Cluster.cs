using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace ClusterRegistry.Client.Models;

/// <summary>
/// A cluster in the registry (<c>clusterregistry.k8s.io/v1alpha1</c> <c>Cluster</c>, cluster-scoped). It is a
/// KubernetesClient object, so <see cref="GenericClient"/>, <c>KubernetesJson</c>, <c>KubernetesYaml</c> and the
/// model extensions (labels, finalizers, owner references) work with it. The served OpenAPI schema is checked against
/// these properties by the client tests (ADR-013-client).
/// </summary>
[KubernetesEntity(Group = KubeGroup, Kind = KubeKind, ApiVersion = KubeApiVersion, PluralName = KubePluralName)]
public sealed class Cluster : IKubernetesObject<V1ObjectMeta>, ISpec<ClusterSpec>, IStatus<ClusterStatus>
{
    /// <summary>The API group.</summary>
    public const string KubeGroup = "clusterregistry.k8s.io";
    /// <summary>The API version within the group.</summary>
    public const string KubeApiVersion = "v1alpha1";
    /// <summary>The kind.</summary>
    public const string KubeKind = "Cluster";
    /// <summary>The resource name in URLs.</summary>
    public const string KubePluralName = "clusters";

    /// <summary>Always <c>clusterregistry.k8s.io/v1alpha1</c> for objects this client builds.</summary>
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = KubeGroup + "/" + KubeApiVersion;

    /// <summary>Always <c>Cluster</c>.</summary>
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KubeKind;

    /// <summary>Standard object metadata (name, labels, resourceVersion, ...).</summary>
    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>How to reach and authenticate to the cluster.</summary>
    [JsonPropertyName("spec")]
    public ClusterSpec? Spec { get; set; }

    ClusterSpec ISpec<ClusterSpec>.Spec { get => Spec!; set => Spec = value; }

    /// <summary>Observed state, written through the status subresource.</summary>
    [JsonPropertyName("status")]
    public ClusterStatus? Status { get; set; }

    ClusterStatus IStatus<ClusterStatus>.Status { get => Status!; set => Status = value; }
}

/// <summary>A list of clusters, as a list call returns it.</summary>
[KubernetesEntity(Group = Cluster.KubeGroup, Kind = "ClusterList", ApiVersion = Cluster.KubeApiVersion, PluralName = Cluster.KubePluralName)]
public sealed class ClusterList : IKubernetesObject<V1ListMeta>, IItems<Cluster>
{
    /// <summary>Always <c>clusterregistry.k8s.io/v1alpha1</c>.</summary>
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = Cluster.KubeGroup + "/" + Cluster.KubeApiVersion;

    /// <summary>Always <c>ClusterList</c>.</summary>
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "ClusterList";

    /// <summary>The list's resourceVersion (to watch from) and continue token.</summary>
    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    /// <summary>The clusters.</summary>
    [JsonPropertyName("items")]
    public IList<Cluster> Items { get; set; } = [];
}
