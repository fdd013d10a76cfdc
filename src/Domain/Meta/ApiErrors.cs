using System.Text;

namespace ClusterRegistry.Domain.Meta;

/// <summary>Factories for the errors kube-apiserver returns, with its exact reasons and message formats.</summary>
public static class ApiErrors
{
    public const string OptimisticLockMessage =
        "the object has been modified; please apply your changes to the latest version and try again";

    public static ApiStatusException NotFound(GroupResource r, string name) =>
        new(404, "NotFound", $"{r.Qualified} \"{name}\" not found", Details(r, name));

    public static ApiStatusException AlreadyExists(GroupResource r, string name) =>
        new(409, "AlreadyExists", $"{r.Qualified} \"{name}\" already exists", Details(r, name));

    public static ApiStatusException GenerateNameConflict(GroupResource r, string name) =>
        new(409, "AlreadyExists",
            $"{r.Qualified} \"{name}\" already exists, the server was not able to generate a unique name for the object",
            new StatusDetails { Name = name, Group = r.Group, Kind = r.Resource, RetryAfterSeconds = 1 });

    public static ApiStatusException Conflict(GroupResource r, string name, string detail = OptimisticLockMessage) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {r.Qualified} \"{name}\": {detail}", Details(r, name));

    public static ApiStatusException Invalid(GroupResource r, string name, IReadOnlyList<FieldError> errors) =>
        Invalid(r.QualifiedKind, name, r.Group, r.Kind, errors);

    /// <summary>An Invalid error for request options, e.g. <c>ListOptions.meta.k8s.io "" is invalid</c>.</summary>
    public static ApiStatusException InvalidOptions(string optionsKind, params FieldError[] errors) =>
        Invalid(optionsKind + ".meta.k8s.io", "", "meta.k8s.io", optionsKind, errors);

    private static ApiStatusException Invalid(string qualifiedKind, string name, string group, string kind, IReadOnlyList<FieldError> errors)
    {
        var text = errors.Count == 1
            ? errors[0].ToString()
            : "[" + string.Join(", ", errors.Select(e => e.ToString())) + "]";
        return new ApiStatusException(422, "Invalid", $"{qualifiedKind} \"{name}\" is invalid: {text}",
            new StatusDetails
            {
                Name = name,
                Group = group,
                Kind = kind,
                Causes = errors.Select(e => new StatusCause { Reason = e.CauseReason, Message = e.Message, Field = e.Field }).ToList(),
            });
    }

    public static ApiStatusException BadRequest(string message) => new(400, "BadRequest", message);

    /// <summary>400 for a body that does not decode as the resource's kind: <c>Cluster in version "v1alpha1" cannot be handled as a Cluster: …</c>.</summary>
    public static ApiStatusException CannotBeHandledAs(GroupResource r, string detail) =>
        BadRequest($"{r.Kind} in version \"{r.Version}\" cannot be handled as a {r.Kind}: {detail}");

    /// <summary>400 for a body whose metadata.name differs from the name in the URL.</summary>
    public static ApiStatusException NameMismatch(string? bodyName, string urlName) =>
        BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({urlName})");

    public static ApiStatusException MethodNotAllowed(string message = "the server does not allow this method on the requested resource") =>
        new(405, "MethodNotAllowed", message);

    public static ApiStatusException NotAcceptable(IEnumerable<string> accepted) =>
        new(406, "NotAcceptable", "only the following media types are accepted: " + string.Join(", ", accepted));

    public static ApiStatusException UnsupportedMediaType(IEnumerable<string> accepted) =>
        new(415, "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: " + string.Join(", ", accepted));

    public static ApiStatusException RequestEntityTooLarge(string detail) =>
        new(413, "RequestEntityTooLarge", "Request entity too large: " + detail);

    public static ApiStatusException Expired(string message) => new(410, "Expired", message);

    public static ApiStatusException Unauthorized() => new(401, "Unauthorized", "Unauthorized");

    /// <summary>403 for a non-resource path: <c>forbidden: User "u" cannot get path "/version"</c>.</summary>
    public static ApiStatusException ForbiddenPath(string user, string verb, string path, string reason = "") =>
        new(403, "Forbidden", HtmlEscape($"forbidden: User \"{user}\" cannot {verb} path \"{path}\"" + (reason.Length > 0 ? ": " + reason : "")));

    /// <summary>403 for a resource of another group (e.g. selfsubjectaccessreviews).</summary>
    public static ApiStatusException ForbiddenResource(string qualified, string resource, string group, string name, string user, string verb, string subresource, string reason = "")
    {
        var sb = new StringBuilder(qualified);
        if (name.Length > 0) sb.Append(" \"").Append(name).Append('"');
        sb.Append(" is forbidden: User \"").Append(user).Append("\" cannot ").Append(verb).Append(" resource \"").Append(resource)
          .Append(subresource.Length > 0 ? "/" + subresource : "").Append("\" in API group \"").Append(group).Append("\" at the cluster scope");
        if (reason.Length > 0) sb.Append(": ").Append(reason);
        return new ApiStatusException(403, "Forbidden", HtmlEscape(sb.ToString()), new StatusDetails { Name = name.Length > 0 ? name : null, Group = group, Kind = resource });
    }

    // kube-apiserver escapes these in Forbidden messages (responsewriters/errors.go).
    private static string HtmlEscape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    public static ApiStatusException Forbidden(GroupResource? r, string? name, string user, string verb, string? subresource, string reason = "")
    {
        var sb = new StringBuilder();
        if (r is null)
            sb.Append("forbidden: User \"").Append(user).Append("\" cannot ").Append(verb).Append(" path");
        else
        {
            sb.Append(r.Qualified);
            if (!string.IsNullOrEmpty(name)) sb.Append(" \"").Append(name).Append('"');
            sb.Append(" is forbidden: User \"").Append(user).Append("\" cannot ").Append(verb)
              .Append(" resource \"").Append(r.Resource).Append(subresource is null ? "" : "/" + subresource)
              .Append("\" in API group \"").Append(r.Group).Append("\" at the cluster scope");
        }
        if (reason.Length > 0) sb.Append(": ").Append(reason);
        return new ApiStatusException(403, "Forbidden", HtmlEscape(sb.ToString()),
            r is null ? null : new StatusDetails { Name = name, Group = r.Group, Kind = r.Resource });
    }

    public static ApiStatusException ServiceUnavailable(string message, int retryAfterSeconds = 1, Exception? cause = null) =>
        new(503, "ServiceUnavailable", message, new StatusDetails { RetryAfterSeconds = retryAfterSeconds }, cause);

    public static ApiStatusException Timeout(string message, int retryAfterSeconds = 1, Exception? cause = null) =>
        new(504, "Timeout", message, new StatusDetails { RetryAfterSeconds = retryAfterSeconds }, cause);

    /// <summary>504 for a resourceVersion newer than the store has (storage/errors.go NewTooLargeResourceVersionError).</summary>
    public static ApiStatusException TooLargeResourceVersion(string requested, long current) =>
        new(504, "Timeout", $"Too large resource version: {requested}, current: {current}", new StatusDetails
        {
            Causes = [new StatusCause { Reason = "ResourceVersionTooLarge", Message = "Too large resource version" }],
            RetryAfterSeconds = 1,
        });

    public static ApiStatusException TooManyRequests(string message, int retryAfterSeconds) =>
        new(429, "TooManyRequests", message, new StatusDetails { RetryAfterSeconds = retryAfterSeconds });

    public static ApiStatusException Internal(string detail) =>
        new(500, "InternalError", "Internal error occurred: " + detail,
            new StatusDetails { Causes = [new StatusCause { Message = detail }] });

    private static StatusDetails Details(GroupResource r, string name) => new() { Name = name, Group = r.Group, Kind = r.Resource };
}
