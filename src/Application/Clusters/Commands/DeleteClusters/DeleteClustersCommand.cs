using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Commands.DeleteClusters;

/// <summary>DELETE the collection: every cluster matching the selectors.</summary>
public sealed record DeleteClustersCommand(string? LabelSelector, string? FieldSelector, DeleteOptions Options)
    : ICommand<ClusterList>, IResourceRequest, IOptionsRequest
{
    public string Verb => "deletecollection";
    public string? Name => null;
    public string? Subresource => null;
    public string OptionsKind => "DeleteOptions";
}
