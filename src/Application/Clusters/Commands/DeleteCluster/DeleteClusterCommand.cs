using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Commands.DeleteCluster;

/// <summary>DELETE a Cluster.</summary>
public sealed record DeleteClusterCommand(string Name, DeleteOptions Options) : ICommand<DeleteResult>, IResourceRequest, IOptionsRequest
{
    public string Verb => "delete";
    string? IResourceRequest.Name => Name;
    public string? Subresource => null;
    public string OptionsKind => "DeleteOptions";
}

/// <summary>
/// The outcome of a delete: either the object is gone (<see cref="Deleted"/>, answered with a Success Status) or it
/// waits for finalizers (<see cref="Object"/> carries its deletionTimestamp).
/// </summary>
public sealed record DeleteResult(Cluster Object, bool Deleted);
