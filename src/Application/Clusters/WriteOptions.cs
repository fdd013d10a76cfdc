using ClusterRegistry.Application.Behaviors;
using ClusterRegistry.Application.Serialization;
using ClusterRegistry.Domain.Meta;
using FluentValidation;

namespace ClusterRegistry.Application.Clusters;

/// <summary>The query options every write shares (metav1.CreateOptions/UpdateOptions/PatchOptions).</summary>
/// <param name="Manager">The field manager recorded for the write: fieldManager, else derived from the User-Agent.</param>
public sealed record WriteOptions(IReadOnlyList<string> DryRun, string? FieldManager, string? FieldValidation, string Manager = "unknown")
{
    public static readonly WriteOptions Default = new([], null, null);

    public bool IsDryRun => DryRun.Count > 0;

    /// <summary>The decoding mode; the server default when the parameter is absent is Warn.</summary>
    public FieldValidationMode Mode => FieldValidation switch
    {
        "Ignore" => FieldValidationMode.Ignore,
        "Strict" => FieldValidationMode.Strict,
        _ => FieldValidationMode.Warn,
    };
}

/// <summary>Rules for <see cref="WriteOptions"/> (k8s ValidateCreateOptions and friends).</summary>
public sealed class WriteOptionsValidator : AbstractValidator<WriteOptions>
{
    public WriteOptionsValidator()
    {
        RuleForEach(o => o.DryRun).Must(v => v == "All")
            .OverridePropertyName("dryRun").WithErrorCode(nameof(FieldErrorType.NotSupported))
            .WithMessage("supported values: \"All\"");
        RuleFor(o => o.FieldManager).MaximumLength(128)
            .OverridePropertyName("fieldManager").WithErrorCode(nameof(FieldErrorType.TooLong))
            .WithMessage("may not be more than 128 characters");
        RuleFor(o => o.FieldManager).Must(m => m is null || m.All(c => c >= ' ' && c < 0x7f))
            .OverridePropertyName("fieldManager").WithErrorCode(nameof(FieldErrorType.Invalid))
            .WithMessage("must only contain printable characters");
        RuleFor(o => o.FieldValidation)
            .Must(v => v is null or "" or "Ignore" or "Warn" or "Strict")
            .OverridePropertyName("fieldValidation").WithErrorCode(nameof(FieldErrorType.NotSupported))
            .WithMessage("supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"");
    }
}

/// <summary>Marks validators whose failures are 400s.</summary>
internal static class BadRequestRule
{
    public static IRuleBuilderOptions<T, TProperty> AsBadRequest<T, TProperty>(this IRuleBuilderOptions<T, TProperty> rule) =>
        rule.WithErrorCode(ValidationCodes.BadRequest);
}
