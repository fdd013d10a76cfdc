namespace ClusterRegistry.Infrastructure.Observability;

/// <summary>
/// Histogram bucket boundaries (seconds) as kube-apiserver declares them, so dashboards and SLO queries written
/// against kube-apiserver (e.g. <c>le="1"</c>) read these histograms unchanged.
/// </summary>
public static class KubeBuckets
{
    /// <summary><c>apiserver_request_duration_seconds</c> and <c>etcd_request_duration_seconds</c>.</summary>
    public static readonly IReadOnlyList<double> RequestDuration =
        [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

    /// <summary>Prometheus' default buckets (client_golang DefBuckets), used by the authorization webhook histogram.</summary>
    public static readonly IReadOnlyList<double> Default = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
}
