using ClusterRegistry.Client.Models;
using k8s;

namespace ClusterRegistry.Client;

/// <summary>
/// One event of a cluster watch: <see cref="WatchEventType.Added"/>, <see cref="WatchEventType.Modified"/>,
/// <see cref="WatchEventType.Deleted"/> with the object, or <see cref="WatchEventType.Bookmark"/> whose object carries
/// only the resourceVersion to resume from. Errors are not events: the watch throws a
/// <see cref="KubernetesException"/> (410 Expired when the resourceVersion was compacted away).
/// </summary>
public sealed record ClusterWatchEvent(WatchEventType Type, Cluster Object)
{
    /// <summary>The resourceVersion a new watch resumes from after this event.</summary>
    public string? ResourceVersion => Object.Metadata?.ResourceVersion;
}
