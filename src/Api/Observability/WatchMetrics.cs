using System.Diagnostics.Metrics;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Infrastructure.Observability;

namespace ClusterRegistry.Api.Observability;

/// <summary>
/// kube-apiserver's watch series: <c>apiserver_watch_events_total</c> (every event written to a watch stream,
/// bookmarks and errors included) and <c>apiserver_terminated_watchers_total</c> (watchers closed because their
/// client stopped reading; the events queued for them are dropped with them).
/// </summary>
public sealed class WatchMetrics
{
    private readonly Counter<long> _events;
    private readonly Counter<long> _terminated;
    private readonly KeyValuePair<string, object?>[] _eventLabels;
    private readonly KeyValuePair<string, object?>[] _terminatedLabels;

    public WatchMetrics(IMeterFactory meters)
    {
        var meter = Telemetry.Meter(meters);
        _events = meter.CreateCounter<long>("apiserver_watch_events_total", null, "Number of events sent in watch clients");
        _terminated = meter.CreateCounter<long>("apiserver_terminated_watchers_total", null,
            "Counter of watchers closed due to unresponsiveness broken by resource type.");
        var info = ClusterResource.Info;
        _eventLabels = Telemetry.Labels(("group", info.Group), ("version", "v1alpha1"), ("resource", info.Resource), ("kind", "Cluster"));
        _terminatedLabels = Telemetry.Labels(("resource", info.Resource + "." + info.Group));
    }

    public void EventSent() => _events.Add(1, _eventLabels);

    public void WatcherTerminated() => _terminated.Add(1, _terminatedLabels);
}
