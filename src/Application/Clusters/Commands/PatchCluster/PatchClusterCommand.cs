using System.Text.Json;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Commands.PatchCluster;

/// <summary>PATCH a Cluster, or its status when <see cref="Subresource"/> is <c>status</c>.</summary>
public sealed record PatchClusterCommand(string Name, PatchType Type, JsonElement Patch, WriteOptions Options, bool? Force, string? Subresource = null)
    : ICommand<Cluster>, IResourceRequest, IOptionsRequest
{
    public string Verb => "patch";
    string? IResourceRequest.Name => Name;
    public string OptionsKind => "PatchOptions";
}
