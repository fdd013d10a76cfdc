using FluentValidation;

namespace ClusterRegistry.Application.Clusters.Commands.UpdateCluster;

public sealed class UpdateClusterCommandValidator : AbstractValidator<UpdateClusterCommand>
{
    public UpdateClusterCommandValidator()
    {
        RuleFor(c => c.Options).SetValidator(new WriteOptionsValidator()).OverridePropertyName("");
    }
}
