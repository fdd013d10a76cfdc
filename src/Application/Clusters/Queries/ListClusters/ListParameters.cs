using ClusterRegistry.Application.Behaviors;
using ClusterRegistry.Domain.Meta;
using FluentValidation;

namespace ClusterRegistry.Application.Clusters.Queries.ListClusters;

/// <summary>metav1.ListOptions as they arrive in the query string.</summary>
public sealed record ListParameters(
    string? LabelSelector = null,
    string? FieldSelector = null,
    long Limit = 0,
    string? Continue = null,
    string? ResourceVersion = null,
    string? ResourceVersionMatch = null,
    bool Watch = false,
    bool AllowWatchBookmarks = false,
    bool? SendInitialEvents = null,
    long? TimeoutSeconds = null);

/// <summary>k8s ValidateListOptions, with its 422 and 400 wording.</summary>
public sealed class ListParametersValidator : AbstractValidator<ListParameters>
{
    public ListParametersValidator()
    {
        RuleFor(p => p.ResourceVersionMatch)
            .Must(m => m is null or "" or "Exact" or "NotOlderThan")
            .OverridePropertyName("resourceVersionMatch").WithErrorCode(nameof(FieldErrorType.NotSupported))
            .WithMessage("supported values: \"Exact\", \"NotOlderThan\", \"\"");
        // The resourceVersionMatch rules below are for lists; a watch-list (sendInitialEvents) may omit resourceVersion.
        RuleFor(p => p).Must(p => p.Watch || string.IsNullOrEmpty(p.ResourceVersionMatch) || !string.IsNullOrEmpty(p.ResourceVersion))
            .OverridePropertyName("resourceVersionMatch").WithErrorCode(nameof(FieldErrorType.Forbidden))
            .WithMessage("resourceVersionMatch is forbidden unless resourceVersion is provided");
        RuleFor(p => p).Must(p => p.Watch || !(p.ResourceVersionMatch == "Exact" && p.ResourceVersion == "0"))
            .OverridePropertyName("resourceVersionMatch").WithErrorCode(nameof(FieldErrorType.Forbidden))
            .WithMessage("resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"");
        RuleFor(p => p).Must(p => string.IsNullOrEmpty(p.ResourceVersionMatch) || string.IsNullOrEmpty(p.Continue))
            .OverridePropertyName("resourceVersionMatch").WithErrorCode(nameof(FieldErrorType.Forbidden))
            .WithMessage("resourceVersionMatch is forbidden when continue is provided");
        RuleFor(p => p).Must(p => p.Watch || p.SendInitialEvents is null)
            .OverridePropertyName("sendInitialEvents").WithErrorCode(nameof(FieldErrorType.Forbidden))
            .WithMessage("sendInitialEvents is forbidden for list");
        RuleFor(p => p).Must(p => !p.Watch || p.SendInitialEvents != true || p.ResourceVersionMatch == "NotOlderThan")
            .OverridePropertyName("resourceVersionMatch").WithErrorCode(nameof(FieldErrorType.Forbidden))
            .WithMessage("sendInitialEvents requires setting resourceVersionMatch to NotOlderThan");
        RuleFor(p => p).Must(p => !p.Watch || p.SendInitialEvents is not null || string.IsNullOrEmpty(p.ResourceVersionMatch))
            .OverridePropertyName("resourceVersionMatch").WithErrorCode(nameof(FieldErrorType.Forbidden))
            .WithMessage("resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided");
        RuleFor(p => p).Must(p => string.IsNullOrEmpty(p.Continue) || p.ResourceVersion is null or "" or "0")
            .WithErrorCode(ValidationCodes.BadRequest)
            .WithMessage("specifying resource version is not allowed when using continue");
        RuleFor(p => p.ResourceVersion).Must(rv => string.IsNullOrEmpty(rv) || Domain.Meta.ResourceVersion.TryParse(rv, out _))
            .WithErrorCode(ValidationCodes.BadRequest)
            .WithMessage(p => $"invalid resource version: {p.ResourceVersion}");
    }
}
