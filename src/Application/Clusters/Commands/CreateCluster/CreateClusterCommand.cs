using System.Text.Json;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Commands.CreateCluster;

/// <summary>POST a Cluster.</summary>
public sealed record CreateClusterCommand(JsonElement Body, WriteOptions Options) : ICommand<Cluster>, IResourceRequest, IOptionsRequest
{
    public string Verb => "create";
    public string? Name => null;
    public string? Subresource => null;
    public string OptionsKind => "CreateOptions";
}
