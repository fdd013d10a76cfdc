using System.Diagnostics.Metrics;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Infrastructure.Observability;

namespace ClusterRegistry.Api.Observability;

/// <summary>
/// kube-apiserver's watch series: <c>apiserver_watch_events_total</c> (every event written to a watch stream,
/// bookmarks and errors included) and <c>apiserver_terminated_watchers_total</c> (watchers closed because their
/// client stopped reading; the events queued for them are dropped with them).
/// </summary>
/// <remarks>
/// The events counter is observed, not added to per event: a Counter.Add with labels hashed the labels and looked up
/// the series on every event of every watcher (5 % of the server's CPU fanning one update out to 3,000 watchers);
/// an interlocked add per write costs a few nanoseconds and the exporter reads the total when it scrapes.
/// </remarks>
public sealed class WatchMetrics
{
    private long _eventsSent;
    private readonly Counter<long> _terminated;
    private readonly KeyValuePair<string, object?>[] _eventLabels;
    private readonly KeyValuePair<string, object?>[] _terminatedLabels;

    public WatchMetrics(IMeterFactory meters)
    {
        var meter = Telemetry.Meter(meters);
        _terminated = meter.CreateCounter<long>("apiserver_terminated_watchers_total", null,
            "Counter of watchers closed due to unresponsiveness broken by resource type.");
        var info = ClusterResource.Info;
        _eventLabels = Telemetry.Labels(("group", info.Group), ("version", "v1alpha1"), ("resource", info.Resource), ("kind", "Cluster"));
        _terminatedLabels = Telemetry.Labels(("resource", info.Resource + "." + info.Group));
        meter.CreateObservableCounter("apiserver_watch_events_total", () => new Measurement<long>(Volatile.Read(ref _eventsSent), _eventLabels),
            null, "Number of events sent in watch clients");
    }

    /// <summary>Counts <paramref name="count"/> events written to a watch stream.</summary>
    public void EventsSent(int count) => Interlocked.Add(ref _eventsSent, count);

    public void WatcherTerminated() => _terminated.Add(1, _terminatedLabels);
}
