using ClusterRegistry.Domain.Meta;
using FluentValidation;

namespace ClusterRegistry.Application.Clusters.Commands.PatchCluster;

public sealed class PatchClusterCommandValidator : AbstractValidator<PatchClusterCommand>
{
    public PatchClusterCommandValidator()
    {
        RuleFor(c => c.Options).SetValidator(new WriteOptionsValidator()).OverridePropertyName("");
        RuleFor(c => c.Force).Null()
            .OverridePropertyName("force").WithErrorCode(nameof(FieldErrorType.Forbidden))
            .WithMessage("may not be specified for non-apply patch");
    }
}
