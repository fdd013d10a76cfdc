using FluentValidation;

namespace ClusterRegistry.Application.Clusters.Commands.CreateCluster;

public sealed class CreateClusterCommandValidator : AbstractValidator<CreateClusterCommand>
{
    public CreateClusterCommandValidator()
    {
        RuleFor(c => c.Options).SetValidator(new WriteOptionsValidator()).OverridePropertyName("");
    }
}
