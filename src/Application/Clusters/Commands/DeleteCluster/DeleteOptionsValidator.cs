using ClusterRegistry.Domain.Meta;
using FluentValidation;

namespace ClusterRegistry.Application.Clusters.Commands.DeleteCluster;

/// <summary>k8s ValidateDeleteOptions.</summary>
public sealed class DeleteOptionsValidator : AbstractValidator<DeleteOptions>
{
    private static readonly string[] Policies = ["Background", "Foreground", "Orphan"];

    public DeleteOptionsValidator()
    {
        RuleFor(o => o.PropagationPolicy).Must(p => p is null || Policies.Contains(p))
            .OverridePropertyName("propagationPolicy").WithErrorCode(nameof(FieldErrorType.NotSupported))
            .WithMessage("supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"");
        RuleFor(o => o).Must(o => o.OrphanDependents is null || o.PropagationPolicy is null)
            .OverridePropertyName("propagationPolicy").WithErrorCode(nameof(FieldErrorType.Invalid))
            .WithMessage("orphanDependents and deletionPropagation cannot be both set");
        RuleForEach(o => o.DryRun).Must(v => v == "All")
            .OverridePropertyName("dryRun").WithErrorCode(nameof(FieldErrorType.NotSupported))
            .WithMessage("supported values: \"All\"");
    }
}

public sealed class DeleteClusterCommandValidator : AbstractValidator<DeleteClusterCommand>
{
    public DeleteClusterCommandValidator()
    {
        RuleFor(c => c.Options).SetValidator(new DeleteOptionsValidator()).OverridePropertyName("");
    }
}
