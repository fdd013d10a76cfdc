namespace ClusterRegistry.Domain.Meta;

/// <summary>
/// An API error that renders as a <see cref="Status"/> with the given code and reason; <paramref name="inner"/> keeps
/// the server-side cause (e.g. the storage failure behind a 503) for the log, never for the client.
/// </summary>
public sealed class ApiStatusException(int code, string reason, string message, StatusDetails? details = null, Exception? inner = null)
    : Exception(message, inner)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
    public StatusDetails? Details { get; } = details;

    public Status ToStatus() => new()
    {
        Outcome = "Failure",
        Code = Code,
        Reason = Reason,
        Message = Message,
        Details = Details,
    };
}
