using System.ComponentModel;
using ClusterRegistry.Domain.Schema;

namespace ClusterRegistry.Domain.Clusters;

/// <summary>The observed state of a cluster, written through the status subresource.</summary>
[Description("ClusterStatus contains the status of a cluster.")]
public sealed class ClusterStatus
{
    [Description("Conditions is an array of current cluster conditions, at most one per type.")]
    [ListMapKeys("type")]
    public List<ClusterCondition>? Conditions { get; set; }
    [Description("Version is what the cluster's API server reports about itself, as last observed by the registry's health prober.")]
    public ClusterVersion? Version { get; set; }
}

/// <summary>The versions a cluster reports (new; the shape of ClusterProfile's and ManagedCluster's status.version).</summary>
[Description("ClusterVersion contains the versions a cluster reports.")]
public sealed class ClusterVersion
{
    [Description("Kubernetes is the gitVersion the API server reports on /version, e.g. v1.20.2.")]
    public string? Kubernetes { get; set; }
}

/// <summary>One observed condition of a cluster; at most one per type.</summary>
[Description("ClusterCondition contains condition information for a cluster.")]
public sealed class ClusterCondition
{
    [Description("Type of cluster condition, e.g. Ready.")]
    [SchemaRequired]
    public string? Type { get; set; }
    [Description("Status of the condition, one of True, False, Unknown.")]
    [SchemaRequired]
    public string? Status { get; set; }
    [Description("Last time the condition was checked.")]
    public DateTimeOffset? LastHeartbeatTime { get; set; }
    [Description("Last time the condition transitioned from one status to another.")]
    public DateTimeOffset? LastTransitionTime { get; set; }
    [Description("(brief) reason for the condition's last transition, in CamelCase.")]
    public string? Reason { get; set; }
    [Description("Human readable message indicating details about last transition.")]
    public string? Message { get; set; }
}
