using System.Text.Json;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Commands.UpdateCluster;

/// <summary>PUT a Cluster, or its status when <see cref="Subresource"/> is <c>status</c>.</summary>
public sealed record UpdateClusterCommand(string Name, JsonElement Body, WriteOptions Options, string? Subresource = null)
    : ICommand<Cluster>, IResourceRequest, IOptionsRequest
{
    public string Verb => "update";
    string? IResourceRequest.Name => Name;
    public string OptionsKind => "UpdateOptions";
}
