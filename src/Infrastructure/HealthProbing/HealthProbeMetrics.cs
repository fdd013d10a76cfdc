using System.Diagnostics.Metrics;
using ClusterRegistry.Infrastructure.Observability;

namespace ClusterRegistry.Infrastructure.HealthProbing;

/// <summary>
/// The prober's series, kube-style: <c>clusterregistry_health_probe_total</c> by result and reason,
/// <c>clusterregistry_health_probe_duration_seconds</c>, <c>clusterregistry_health_probe_skipped_total</c> by reason
/// (an address outside the allowed ranges is counted, never contacted), <c>clusterregistry_health_probe_status_writes_total</c>,
/// <c>clusterregistry_health_probe_write_refusals_total</c> by code (404/409: the probed object was deleted or
/// re-created meanwhile), <c>clusterregistry_health_probe_clusters</c> by Ready status, and <c>clusterregistry_health_probe_lease_held</c>
/// (1 on the one replica that probes). No per-cluster labels: a registry may hold thousands.
/// </summary>
public sealed class HealthProbeMetrics
{
    private readonly Counter<long> _probes;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _skipped;
    private readonly Counter<long> _writes;
    private readonly Counter<long> _refusals;
    private int _leaseHeld;
    private Func<IReadOnlyDictionary<string, int>> _readyCounts = () => new Dictionary<string, int>();

    public HealthProbeMetrics(IMeterFactory meters)
    {
        var meter = Telemetry.Meter(meters);
        _probes = meter.CreateCounter<long>("clusterregistry_health_probe_total", null, "Health probes of registered clusters by result and reason.");
        _duration = meter.CreateHistogram("clusterregistry_health_probe_duration_seconds", "s", "Duration of health probes (connect, TLS, /version, /readyz).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = KubeBuckets.RequestDuration });
        _skipped = meter.CreateCounter<long>("clusterregistry_health_probe_skipped_total", null, "Clusters not probed, by reason (address_not_allowed, unresolvable, no_endpoint).");
        _writes = meter.CreateCounter<long>("clusterregistry_health_probe_status_writes_total", null, "Status and pin writes made by the health prober.");
        _refusals = meter.CreateCounter<long>("clusterregistry_health_probe_write_refusals_total", null,
            "Prober writes the server refused, by HTTP code (404/409: the probed object was deleted or re-created meanwhile).");
        meter.CreateObservableGauge("clusterregistry_health_probe_lease_held", () => Volatile.Read(ref _leaseHeld), null,
            "1 when this replica holds the health prober's lease and probes, else 0.");
        meter.CreateObservableGauge("clusterregistry_health_probe_clusters", () => _readyCounts().Select(kv =>
            new Measurement<int>(kv.Value, new KeyValuePair<string, object?>("ready", kv.Key))), null,
            "Probed clusters by the status of their Ready condition, on the replica holding the lease.");
    }

    public void Probed(ProbeResult result, double seconds)
    {
        _probes.Add(1, new KeyValuePair<string, object?>("result", result.Healthy ? "success" : "failure"), new KeyValuePair<string, object?>("reason", result.Reason));
        _duration.Record(seconds);
    }

    public void Skipped(TargetRefusal refusal) => _skipped.Add(1, new KeyValuePair<string, object?>("reason", refusal switch
    {
        TargetRefusal.NotAllowed => "address_not_allowed",
        TargetRefusal.Unresolvable => "unresolvable",
        _ => "no_endpoint",
    }));

    public void Wrote() => _writes.Add(1);

    public void Refused(int code) => _refusals.Add(1, new KeyValuePair<string, object?>("code", code.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public void LeaseHeld(bool held) => Volatile.Write(ref _leaseHeld, held ? 1 : 0);

    public void ObserveReady(Func<IReadOnlyDictionary<string, int>> counts) => _readyCounts = counts;
}
