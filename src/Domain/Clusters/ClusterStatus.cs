namespace ClusterRegistry.Domain.Clusters;

/// <summary>The observed state of a cluster, written through the status subresource.</summary>
public sealed class ClusterStatus
{
    public List<ClusterCondition>? Conditions { get; set; }
}

/// <summary>One observed condition of a cluster; at most one per type.</summary>
public sealed class ClusterCondition
{
    public string? Type { get; set; }
    public string? Status { get; set; }
    public DateTimeOffset? LastHeartbeatTime { get; set; }
    public DateTimeOffset? LastTransitionTime { get; set; }
    public string? Reason { get; set; }
    public string? Message { get; set; }
}
