using System.Text.Json.Serialization;

namespace ClusterRegistry.Domain.Meta;

/// <summary>metav1.Status: the body of every error, and of a successful delete.</summary>
public sealed class Status
{
    public string Kind { get; set; } = "Status";
    public string ApiVersion { get; set; } = "v1";
    public ListMeta Metadata { get; set; } = new();
    [JsonPropertyName("status")]
    public string? Outcome { get; set; }
    public string? Message { get; set; }
    public string? Reason { get; set; }
    public StatusDetails? Details { get; set; }
    public int Code { get; set; }
}

/// <summary>metav1.StatusDetails. <c>Kind</c> carries the resource name for resource errors, as kube-apiserver does.</summary>
public sealed class StatusDetails
{
    public string? Name { get; set; }
    public string? Group { get; set; }
    public string? Kind { get; set; }
    public string? Uid { get; set; }
    public List<StatusCause>? Causes { get; set; }
    public int? RetryAfterSeconds { get; set; }
}

/// <summary>metav1.StatusCause; the JSON key of its type is <c>reason</c>.</summary>
public sealed class StatusCause
{
    public string? Reason { get; set; }
    public string? Message { get; set; }
    public string? Field { get; set; }
}
