using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Queries.GetCluster;

/// <summary>GET one Cluster (also through <c>/status</c>).</summary>
public sealed record GetClusterQuery(string Name, string? Subresource = null) : IQuery<SharedCluster>, IResourceRequest
{
    public string Verb => "get";
    string? IResourceRequest.Name => Name;
}
