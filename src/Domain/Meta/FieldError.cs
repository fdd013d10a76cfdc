namespace ClusterRegistry.Domain.Meta;

/// <summary>The kind of a field error; the value is the cause reason kube-apiserver reports.</summary>
public enum FieldErrorType
{
    Required,
    Invalid,
    NotSupported,
    Forbidden,
    TooLong,
    Duplicate,
    TypeInvalid,
}

/// <summary>A bad value printed as is, without quotes (Go's %v of a non-string, e.g. <c>0x0</c>).</summary>
public sealed record RawValue(string Text);

/// <summary>One validation failure at a JSON path, worded as k8s.io/apimachinery field errors are.</summary>
public sealed record FieldError(FieldErrorType Type, string Field, string Detail, object? BadValue = null, bool HasBadValue = false)
{
    public static FieldError Required(string field, string detail = "") => new(FieldErrorType.Required, field, detail);
    public static FieldError Invalid(string field, object? value, string detail) => new(FieldErrorType.Invalid, field, detail, value, true);
    public static FieldError Forbidden(string field, string detail) => new(FieldErrorType.Forbidden, field, detail);
    public static FieldError Duplicate(string field, object? value) => new(FieldErrorType.Duplicate, field, "", value, true);
    public static FieldError TooLong(string field, string detail) => new(FieldErrorType.TooLong, field, detail);
    public static FieldError TypeInvalid(string field, object? value, string detail) => new(FieldErrorType.TypeInvalid, field, detail, value, true);
    public static FieldError NotSupported(string field, object? value, IEnumerable<string> supported) =>
        new(FieldErrorType.NotSupported, field,
            "supported values: " + string.Join(", ", supported.Select(s => "\"" + s + "\"")), value, true);

    public string CauseReason => Type switch
    {
        FieldErrorType.Required => "FieldValueRequired",
        FieldErrorType.Invalid => "FieldValueInvalid",
        FieldErrorType.NotSupported => "FieldValueNotSupported",
        FieldErrorType.Forbidden => "FieldValueForbidden",
        FieldErrorType.TooLong => "FieldValueTooLong",
        FieldErrorType.Duplicate => "FieldValueDuplicate",
        _ => "FieldValueTypeInvalid",
    };

    /// <summary>The message without the field path, e.g. <c>Invalid value: "x": reason</c>.</summary>
    public string Message
    {
        get
        {
            var prefix = Type switch
            {
                FieldErrorType.Required => "Required value",
                FieldErrorType.Invalid => "Invalid value",
                FieldErrorType.NotSupported => "Unsupported value",
                FieldErrorType.Forbidden => "Forbidden",
                FieldErrorType.TooLong => "Too long",
                FieldErrorType.Duplicate => "Duplicate value",
                _ => "Invalid value",
            };
            var value = HasBadValue ? ": " + FormatValue(BadValue) : "";
            return Detail.Length == 0 ? prefix + value : prefix + value + ": " + Detail;
        }
    }

    public override string ToString() => Field + ": " + Message;

    private static string FormatValue(object? value) => value switch
    {
        null => "null",
        RawValue raw => raw.Text,
        string s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
        bool b => b ? "true" : "false",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
