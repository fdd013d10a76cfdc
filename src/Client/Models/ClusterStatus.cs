using System.Text.Json.Serialization;

namespace ClusterRegistry.Client.Models;

/// <summary>The observed state of a cluster, written through the status subresource.</summary>
public sealed class ClusterStatus
{
    /// <summary>Current conditions, at most one per type (a map keyed by type).</summary>
    [JsonPropertyName("conditions")]
    public IList<ClusterCondition>? Conditions { get; set; }

    /// <summary>What the cluster's API server reports about itself, as last observed by the registry's health prober.</summary>
    [JsonPropertyName("version")]
    public ClusterVersion? Version { get; set; }
}

/// <summary>The versions a cluster reports.</summary>
public sealed class ClusterVersion
{
    /// <summary>The gitVersion the cluster's API server reports on <c>/version</c>, e.g. <c>v1.20.2</c>.</summary>
    [JsonPropertyName("kubernetes")]
    public string? Kubernetes { get; set; }
}

/// <summary>One observed condition of a cluster.</summary>
public sealed class ClusterCondition
{
    /// <summary>The condition type, e.g. <c>Ready</c> (required).</summary>
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    /// <summary><c>True</c>, <c>False</c> or <c>Unknown</c> (required).</summary>
    [JsonPropertyName("status")]
    public string? Status { get; set; }

    /// <summary>When the condition was last checked.</summary>
    [JsonPropertyName("lastHeartbeatTime")]
    public DateTime? LastHeartbeatTime { get; set; }

    /// <summary>When the condition last changed status.</summary>
    [JsonPropertyName("lastTransitionTime")]
    public DateTime? LastTransitionTime { get; set; }

    /// <summary>A CamelCase reason for the last transition.</summary>
    [JsonPropertyName("reason")]
    public string? Reason { get; set; }

    /// <summary>A human-readable message about the last transition.</summary>
    [JsonPropertyName("message")]
    public string? Message { get; set; }
}
