using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Clusters.Queries.ListClusters;

/// <summary>A ClusterList whose items are shared versions, so the response joins their encoded bytes (see <see cref="ClusterVersion"/>).</summary>
public sealed record ClusterVersionList(ListMeta Metadata, IReadOnlyList<ClusterVersion> Items);
