using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Clusters.Queries.ListClusters;

/// <summary>A ClusterList whose items are shared versions, so the response joins their encoded bytes (see <see cref="SharedCluster"/>).</summary>
public sealed record ClusterVersionList(ListMeta Metadata, IReadOnlyList<SharedCluster> Items);
