using System.Diagnostics.Metrics;
using ClusterRegistry.Infrastructure.Observability;

namespace ClusterRegistry.Infrastructure.Storage;

/// <summary>
/// Storage series under kube-apiserver's names, so existing dashboards work: <c>etcd_request_duration_seconds</c>,
/// <c>etcd_requests_total</c> and <c>etcd_request_errors_total</c> by <c>operation</c> and <c>type</c> (the
/// resource), kept even when the backend is not etcd, with a <c>backend</c> label saying which it is; and
/// <c>apiserver_storage_objects</c> by <c>resource</c>.
/// </summary>
public sealed class StorageMetrics
{
    public static readonly string[] Operations = ["get", "list", "create", "update", "delete", "watch", "currentRevision"];

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _errors;
    // Per operation, built once: recording passes a cached span and allocates nothing.
    private readonly KeyValuePair<string, object?>[][] _labels;
    private readonly KeyValuePair<string, object?>[] _objectLabels;
    private readonly string[] _spanNames = Operations.Select(op => "storage " + op).ToArray();
    private long _objects = -1;

    public StorageMetrics(IMeterFactory meters, string resource, string backend)
    {
        var meter = Telemetry.Meter(meters);
        _duration = meter.CreateHistogram("etcd_request_duration_seconds", "s",
            "Storage request latency in seconds for each operation and object type.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = KubeBuckets.RequestDuration });
        _requests = meter.CreateCounter<long>("etcd_requests_total", null, "Storage request counts for each operation and object type.");
        _errors = meter.CreateCounter<long>("etcd_request_errors_total", null, "Storage failed request counts for each operation and object type.");
        _labels = Operations.Select(op => Telemetry.Labels(("operation", op), ("type", resource), ("backend", backend))).ToArray();
        _objectLabels = Telemetry.Labels(("resource", resource));
        meter.CreateObservableGauge("apiserver_storage_objects", ObserveObjects, null,
            "Number of stored objects at the time of last check split by kind.");
    }

    /// <summary>Records one finished storage call; <paramref name="failed"/> for failures that are not answers (unreachable, timeout).</summary>
    public void Record(int operation, double seconds, bool failed)
    {
        var labels = _labels[operation].AsSpan();
        _duration.Record(seconds, labels);
        _requests.Add(1, labels);
        if (failed) _errors.Add(1, labels);
    }

    /// <summary>A span for one storage call when tracing is on (null otherwise), named and tagged per operation without allocating names.</summary>
    public System.Diagnostics.Activity? StartSpan(int operation)
    {
        var span = Telemetry.Tracing.StartActivity(_spanNames[operation], System.Diagnostics.ActivityKind.Client);
        if (span is not null)
        {
            foreach (var label in _labels[operation]) span.SetTag(label.Key, label.Value);
        }
        return span;
    }

    /// <summary>Counts a call without a latency of its own (a watch lasts as long as its client).</summary>
    public void Count(int operation) => _requests.Add(1, _labels[operation].AsSpan());

    /// <summary>Sets the object count from a count of the store (replaces what local writes added since).</summary>
    public void SetObjects(long count) => Interlocked.Exchange(ref _objects, count);

    /// <summary>Adjusts the count for a write this process made, so the gauge follows it without recounting.</summary>
    public void AddObjects(long delta)
    {
        if (Interlocked.Read(ref _objects) >= 0) Interlocked.Add(ref _objects, delta);
    }

    // Until the first count there is no sample rather than a wrong 0.
    private IEnumerable<Measurement<long>> ObserveObjects()
    {
        var count = Interlocked.Read(ref _objects);
        return count < 0 ? [] : [new Measurement<long>(count, _objectLabels)];
    }
}
