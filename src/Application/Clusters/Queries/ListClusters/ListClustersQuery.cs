using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using FluentValidation;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Queries.ListClusters;

/// <summary>LIST clusters.</summary>
public sealed record ListClustersQuery(ListParameters Parameters) : IQuery<ClusterVersionList>, IResourceRequest, IOptionsRequest
{
    public string Verb => "list";
    public string? Name => null;
    public string? Subresource => null;
    public string OptionsKind => "ListOptions";
}

public sealed class ListClustersQueryValidator : AbstractValidator<ListClustersQuery>
{
    public ListClustersQueryValidator()
    {
        RuleFor(q => q.Parameters).SetValidator(new ListParametersValidator()).OverridePropertyName("");
    }
}
