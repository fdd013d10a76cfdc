using System.Text.Json;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Commands.ApplyCluster;

/// <summary>Server-side apply (PATCH with <c>application/apply-patch+yaml</c>) of a Cluster or its status.</summary>
public sealed record ApplyClusterCommand(string Name, JsonElement Configuration, WriteOptions Options, bool Force, string? Subresource = null)
    : ICommand<ApplyResult>, IResourceRequest, IOptionsRequest
{
    public string Verb => "patch";
    string? IResourceRequest.Name => Name;
    public string OptionsKind => "PatchOptions";
}

/// <summary>The applied object, and whether the apply created it (201).</summary>
public sealed record ApplyResult(Cluster Object, bool Created);
