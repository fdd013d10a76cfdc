using ClusterRegistry.Domain.Meta;
using FluentValidation;

namespace ClusterRegistry.Application.Clusters.Commands.ApplyCluster;

public sealed class ApplyClusterCommandValidator : AbstractValidator<ApplyClusterCommand>
{
    public ApplyClusterCommandValidator()
    {
        RuleFor(c => c.Options).SetValidator(new WriteOptionsValidator()).OverridePropertyName("");
        RuleFor(c => c.Options.FieldManager).NotEmpty()
            .OverridePropertyName("fieldManager").WithErrorCode(nameof(FieldErrorType.Required))
            .WithMessage("is required for apply patch");
    }
}
