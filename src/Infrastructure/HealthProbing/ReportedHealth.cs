using ClusterRegistry.Domain.Clusters;

namespace ClusterRegistry.Infrastructure.HealthProbing;

/// <summary>
/// The status fields the prober owns, as last written (or, on taking over, as read from the object): the Ready and
/// IdentityMismatch conditions and the reported version.
/// </summary>
public sealed record ReportedHealth(
    string Ready, string ReadyReason, string ReadyMessage, DateTimeOffset ReadySince,
    string Mismatch, string MismatchReason, string MismatchMessage, DateTimeOffset MismatchSince,
    string? Version, DateTimeOffset Heartbeat)
{
    public const string ReadyType = "Ready";
    public const string IdentityMismatchType = "IdentityMismatch";

    /// <summary>What the object holds now; null when it has no Ready condition (never probed, or reported by no one).</summary>
    public static ReportedHealth? From(Cluster cluster)
    {
        var conditions = cluster.Status?.Conditions ?? [];
        var ready = conditions.FirstOrDefault(c => c.Type == ReadyType);
        if (ready is null) return null;
        var mismatch = conditions.FirstOrDefault(c => c.Type == IdentityMismatchType);
        return new ReportedHealth(ready.Status ?? "Unknown", ready.Reason ?? "", ready.Message ?? "",
            ready.LastTransitionTime ?? DateTimeOffset.MinValue,
            mismatch?.Status ?? "", mismatch?.Reason ?? "", mismatch?.Message ?? "", mismatch?.LastTransitionTime ?? DateTimeOffset.MinValue,
            cluster.Status?.Version?.Kubernetes, ready.LastHeartbeatTime ?? DateTimeOffset.MinValue);
    }

    /// <summary>
    /// Whether <paramref name="next"/> says something <see cref="ReadyMessage"/>-independent that this does not: a
    /// status, reason or version. Messages (error texts, which vary from one failure to the next) ride along with
    /// heartbeats only, so a flapping error text does not become a write per probe.
    /// </summary>
    public bool Differs(ReportedHealth next) =>
        Ready != next.Ready || ReadyReason != next.ReadyReason || Mismatch != next.Mismatch || MismatchReason != next.MismatchReason
        || Version != next.Version;
}
