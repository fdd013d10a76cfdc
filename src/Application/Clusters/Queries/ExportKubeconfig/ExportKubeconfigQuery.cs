using System.Net;
using ClusterRegistry.Application.Abstractions;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Queries.ExportKubeconfig;

/// <summary>
/// GET clusters/{name}/kubeconfig: a kubeconfig for one cluster, with the endpoint meant for <paramref name="Client"/>
/// (the connection's remote address). Authorized as <c>get</c> on the <c>clusters/kubeconfig</c> subresource.
/// </summary>
public sealed record ExportKubeconfigQuery(string Name, IPAddress? Client) : IQuery<Kubeconfig>, IResourceRequest
{
    public const string SubresourceName = "kubeconfig";

    public string Verb => "get";
    string? IResourceRequest.Name => Name;
    public string? Subresource => SubresourceName;
}

/// <summary>
/// GET clusters/-/kubeconfig?labelSelector=…: one kubeconfig merging every selected cluster. It reveals which
/// clusters exist, so it is authorized as <c>list</c> on <c>clusters/kubeconfig</c>, not as <c>get</c> (ADR-009).
/// </summary>
public sealed record ExportKubeconfigsQuery(string? LabelSelector, string? FieldSelector, IPAddress? Client) : IQuery<Kubeconfig>, IResourceRequest
{
    /// <summary>The name segment that stands for "every selected cluster"; no DNS-1123 name can be "-".</summary>
    public const string AllClusters = "-";

    public string Verb => "list";
    public string? Name => null;
    public string? Subresource => ExportKubeconfigQuery.SubresourceName;
}
