using System.Net;

namespace ClusterRegistry.Infrastructure.HealthProbing;

/// <summary>
/// Settings of the health prober (<c>--health-probe-*</c> flags). With no allowed ranges nothing is probed and no
/// prober runs: an operator has to say which addresses the registry may connect to.
/// </summary>
public sealed record HealthProbeOptions
{
    /// <summary>Endpoints are probed only when every address their host resolves to lies in one of these.</summary>
    public IReadOnlyList<IPNetwork> AllowedCidrs { get; init; } = [];
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Consecutive failures before Ready turns False.</summary>
    public int FailureThreshold { get; init; } = 3;
    /// <summary>Consecutive successes before Ready turns True.</summary>
    public int SuccessThreshold { get; init; } = 3;
    public int MaxInFlight { get; init; } = 10;
    /// <summary>An unchanged status is written (its lastHeartbeatTime) at most this often.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>How long the prober's lease lasts unrenewed: the longest pause in probing when its holder dies.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    public bool Enabled => AllowedCidrs.Count > 0;

    /// <summary>Problems with the settings, one line each (empty when valid).</summary>
    public IEnumerable<string> Problems()
    {
        if (Interval <= TimeSpan.Zero) yield return "--health-probe-interval must be positive";
        if (Timeout <= TimeSpan.Zero) yield return "--health-probe-timeout must be positive";
        if (FailureThreshold < 1) yield return "--health-probe-failure-threshold must be at least 1";
        if (SuccessThreshold < 1) yield return "--health-probe-success-threshold must be at least 1";
        if (MaxInFlight < 1) yield return "--health-probe-max-in-flight must be at least 1";
        if (HeartbeatInterval <= TimeSpan.Zero) yield return "--health-probe-heartbeat-interval must be positive";
        if (LeaseDuration < TimeSpan.FromSeconds(2)) yield return "--health-probe-lease-duration must be at least 2s (etcd's shortest lease)";
    }
}
