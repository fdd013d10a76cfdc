namespace ClusterRegistry.Application.Serialization;

/// <summary>How unknown and duplicate fields in a request body are handled (the <c>fieldValidation</c> parameter).</summary>
public enum FieldValidationMode
{
    Ignore,
    Warn,
    Strict,
}
