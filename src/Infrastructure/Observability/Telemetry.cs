using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ClusterRegistry.Infrastructure.Observability;

/// <summary>
/// The one meter every layer records on. Instruments are plain System.Diagnostics.Metrics, so Application and
/// Infrastructure do not depend on an exporter; the executable exports this meter (Prometheus <c>/metrics</c>).
/// </summary>
public static class Telemetry
{
    public const string MeterName = "ClusterRegistry";

    /// <summary>
    /// Child spans of a request (storage calls, webhook round-trips). Without a listener (tracing off)
    /// <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null and costs nothing.
    /// </summary>
    public static readonly ActivitySource Tracing = new(MeterName);

    /// <summary>The process's meter from the host's factory (one per service provider, so test hosts do not share counts).</summary>
    public static Meter Meter(IMeterFactory factory) => factory.Create(MeterName);

    /// <summary>A label set as the span the instruments take, built once and reused so recording does not allocate.</summary>
    public static KeyValuePair<string, object?>[] Labels(params (string Key, string Value)[] labels) =>
        labels.Select(l => KeyValuePair.Create(l.Key, (object?)l.Value)).ToArray();
}
