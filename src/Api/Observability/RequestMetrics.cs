using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ClusterRegistry.Infrastructure.Observability;

namespace ClusterRegistry.Api.Observability;

/// <summary>
/// kube-apiserver's request series: <c>apiserver_request_total</c> (with <c>code</c>),
/// <c>apiserver_request_duration_seconds</c>, <c>apiserver_current_inflight_requests</c> by <c>request_kind</c>
/// and <c>apiserver_longrunning_requests</c> (watches). Label arrays are built once per label combination (a
/// small, closed set, see <see cref="RequestLabels"/>) and reused, so a request records without allocating.
/// </summary>
public sealed class RequestMetrics
{
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<long> _inflight;
    private readonly UpDownCounter<long> _longRunning;
    private readonly ConcurrentDictionary<RequestLabels, LabelSet> _sets = new();
    private static readonly KeyValuePair<string, object?>[] ReadOnly = Telemetry.Labels(("request_kind", "readOnly"));
    private static readonly KeyValuePair<string, object?>[] Mutating = Telemetry.Labels(("request_kind", "mutating"));
    private static readonly string[] Codes = Enumerable.Range(0, 600).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    public RequestMetrics(IMeterFactory meters)
    {
        var meter = Telemetry.Meter(meters);
        _requests = meter.CreateCounter<long>("apiserver_request_total", null,
            "Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.");
        _duration = meter.CreateHistogram("apiserver_request_duration_seconds", "s",
            "Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = KubeBuckets.RequestDuration });
        _inflight = meter.CreateUpDownCounter<long>("apiserver_current_inflight_requests", null,
            "Number of requests currently being served, by request kind (readOnly, mutating); watches are long-running and not counted.");
        _longRunning = meter.CreateUpDownCounter<long>("apiserver_longrunning_requests", null,
            "Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component.");
    }

    public LabelSet For(in RequestLabels labels) => _sets.GetOrAdd(labels, static l => new LabelSet(l));

    /// <summary>Counts a request in flight: a long-running one (watch) by its labels, any other by its kind.</summary>
    public void Started(LabelSet set, bool longRunning, bool mutating)
    {
        if (longRunning) _longRunning.Add(1, set.LongRunning);
        else _inflight.Add(1, mutating ? Mutating : ReadOnly);
    }

    /// <summary>Records an answered request; <paramref name="wasInFlight"/> when <see cref="Started"/> counted it.</summary>
    public void Finished(LabelSet set, bool wasInFlight, bool longRunning, bool mutating, int code, double seconds)
    {
        if (wasInFlight)
        {
            if (longRunning) _longRunning.Add(-1, set.LongRunning);
            else _inflight.Add(-1, mutating ? Mutating : ReadOnly);
        }
        _duration.Record(seconds, set.Duration);
        _requests.Add(1, set.WithCode(code));
    }

    /// <summary>The label arrays of one label combination, per instrument, and per response code for the counter.</summary>
    public sealed class LabelSet
    {
        private readonly RequestLabels _labels;
        private readonly ConcurrentDictionary<int, KeyValuePair<string, object?>[]> _byCode = new();

        public LabelSet(RequestLabels l)
        {
            _labels = l;
            SpanName = l.Resource.Length > 0 ? $"{l.Verb} {l.Resource}{(l.Subresource.Length > 0 ? "/" + l.Subresource : "")}" : $"{l.Verb} {l.Subresource}".TrimEnd();
            Duration = Telemetry.Labels(("verb", l.Verb), ("dry_run", l.DryRun), ("group", l.Group), ("version", l.Version),
                ("resource", l.Resource), ("subresource", l.Subresource), ("scope", l.Scope), ("component", l.Component));
            LongRunning = Telemetry.Labels(("verb", l.Verb), ("group", l.Group), ("version", l.Version), ("resource", l.Resource),
                ("subresource", l.Subresource), ("scope", l.Scope), ("component", l.Component));
        }

        /// <summary>The request span's name, e.g. <c>LIST clusters</c> or <c>GET /version</c>.</summary>
        public string SpanName { get; }

        public KeyValuePair<string, object?>[] Duration { get; }
        public KeyValuePair<string, object?>[] LongRunning { get; }

        public KeyValuePair<string, object?>[] WithCode(int code)
        {
            if (code is < 0 or >= 600) code = 0;
            return _byCode.GetOrAdd(code, static (c, self) => [.. self.Duration, KeyValuePair.Create("code", (object?)Codes[c])], this);
        }
    }
}
