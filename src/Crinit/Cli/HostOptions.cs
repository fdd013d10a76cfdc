namespace ClusterRegistry.Crinit.Cli;

/// <summary>The flags every crinit command shares: which host cluster, which namespace, and whether to send anything.</summary>
public sealed record HostOptions(
    Mode Mode,
    string Name,
    string? Kubeconfig,
    string? HostClusterContext,
    string Namespace,
    bool DryRun,
    TimeSpan WaitTimeout)
{
    /// <summary>Take over (init) or remove (delete) cluster-wide objects that belong to another install.</summary>
    public bool Force { get; init; }
}
