using ClusterRegistry.Application.Clusters.Commands.DeleteCluster;
using FluentValidation;

namespace ClusterRegistry.Application.Clusters.Commands.DeleteClusters;

public sealed class DeleteClustersCommandValidator : AbstractValidator<DeleteClustersCommand>
{
    public DeleteClustersCommandValidator()
    {
        RuleFor(c => c.Options).SetValidator(new DeleteOptionsValidator()).OverridePropertyName("");
    }
}
