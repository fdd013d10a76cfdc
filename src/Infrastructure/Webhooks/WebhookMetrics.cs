using System.Diagnostics.Metrics;
using ClusterRegistry.Infrastructure.Observability;

namespace ClusterRegistry.Infrastructure.Webhooks;

/// <summary>
/// kube-apiserver's authorization webhook series: <c>apiserver_authorization_webhook_duration_seconds</c> and
/// <c>apiserver_authorization_webhook_evaluations_total</c> by <c>name</c> and <c>result</c> (success, error,
/// timeout, canceled), one sample per round-trip (cached decisions make none, as in kube).
/// </summary>
public sealed class WebhookMetrics
{
    public const string Success = "success", Error = "error", Timeout = "timeout", Canceled = "canceled";

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _evaluations;
    private readonly Dictionary<string, KeyValuePair<string, object?>[]> _labels;

    /// <param name="name">The webhook's name label; kube names the one configured by flag <c>webhook</c>.</param>
    public WebhookMetrics(IMeterFactory meters, string name = "webhook")
    {
        var meter = Telemetry.Meter(meters);
        _duration = meter.CreateHistogram("apiserver_authorization_webhook_duration_seconds", "s", "Request latency in seconds.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = KubeBuckets.Default });
        _evaluations = meter.CreateCounter<long>("apiserver_authorization_webhook_evaluations_total", null, "Round-trips to authorization webhooks.");
        _labels = new[] { Success, Error, Timeout, Canceled }.ToDictionary(r => r, r => Telemetry.Labels(("name", name), ("result", r)));
    }

    public void Record(string result, double seconds)
    {
        var labels = _labels[result].AsSpan();
        _duration.Record(seconds, labels);
        _evaluations.Add(1, labels);
    }
}
