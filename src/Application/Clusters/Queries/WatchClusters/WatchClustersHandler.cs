using System.Runtime.CompilerServices;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Mediator;
using Lists = ClusterRegistry.Application.Clusters.Queries.ListClusters;

namespace ClusterRegistry.Application.Clusters.Queries.WatchClusters;

/// <summary>
/// Watch with kube-apiserver's start-point semantics: resourceVersion unset or "0" first sends the current state as
/// synthetic ADDED events, N sends only changes after N (or one 410 ERROR when N is too old). Selectors turn
/// changes moving an object into or out of the selection into ADDED and DELETED.
/// </summary>
public sealed class WatchClustersHandler(IObjectStorage storage, WatchOptions options, IStorageFailureLog failures)
    : IStreamQueryHandler<WatchClustersQuery, ClusterWatchEvent>
{
    public const string InitialEventsEndAnnotation = "k8s.io/initial-events-end";

    public async IAsyncEnumerable<ClusterWatchEvent> Handle(WatchClustersQuery query, [EnumeratorCancellation] CancellationToken ct)
    {
        var p = query.Parameters;
        var selection = ClusterSelection.Parse(p.LabelSelector, p.FieldSelector);
        var fromRequested = ResourceVersion.TryParse(p.ResourceVersion, out var rv) && rv > 0 && p.SendInitialEvents != true;
        // A resourceVersion the store has not reached: wait briefly, then answer 504 "Too large resource version"
        // before the stream starts, as kube-apiserver does, instead of a silent stream.
        if (fromRequested) await Lists.ResourceVersionWait.UntilAtLeastAsync(storage, rv, ct);
        yield return ClusterWatchEvent.Started;
        long from;
        if (fromRequested)
        {
            from = rv;
        }
        else
        {
            var page = await StorageErrors.Guard(
                () => storage.ListAsync(ClusterKeys.Prefix, new ListRange(Filter: selection.ToFilter(), Labels: selection.Labels,
                    NotOlderThan: p.ResourceVersion == "0" ? 0 : null), ct), "", "watch");
            foreach (var item in page.Items)
                yield return new ClusterWatchEvent(WatchEventType.Added, SharedCluster.Of(item));
            from = page.Revision;
            if (p.SendInitialEvents == true && p.AllowWatchBookmarks)
                yield return Bookmark(from, initialEventsEnd: true);
        }

        yield return ClusterWatchEvent.Live;
        await using var events = new StorageWatch(storage, from, failures, ct);
        var last = from;
        var lastBookmark = from;
        var signal = p.AllowWatchBookmarks ? options.Clock.Register() : null;
        ValueTask<bool> next = default;
        var waiting = false;
        try
        {
            while (true)
            {
                // Consumed once: awaited below; Arm only registers the wake-up as an await would (CA2012 cannot see that).
#pragma warning disable CA2012
                next = events.MoveNextAsync();
#pragma warning restore CA2012
                if (signal is not null && next.IsCompleted)
                {
                    // Busy (the next event was already waiting): the tick is looked at here too, or a watch that is
                    // never idle when the clock ticks would never report its progress. Between waits only the tick
                    // can be pending.
                    if ((signal.Take() & BookmarkSignal.TickDue) != 0 && (last > lastBookmark || lastBookmark == from))
                    {
                        ct.ThrowIfCancellationRequested();
                        lastBookmark = last;
                        yield return Bookmark(last, initialEventsEnd: false);
                    }
                }
                else if (signal is not null)
                {
                    // Idle: wait for the event or the shared bookmark tick, whichever comes first.
                    waiting = true;
                    signal.Arm(next);
                    while (true)
                    {
                        await signal.WaitAsync();
                        var woken = signal.Take();
                        if ((woken & BookmarkSignal.EventReady) != 0) waiting = false;
                        if ((woken & BookmarkSignal.TickDue) != 0 && (last > lastBookmark || lastBookmark == from))
                        {
                            ct.ThrowIfCancellationRequested();
                            lastBookmark = last;
                            yield return Bookmark(last, initialEventsEnd: false);
                        }
                        if (!waiting) break;
                    }
                }
                if (!await next) yield break;
                if (events.Error is { } error)
                {
                    yield return error;
                    yield break;
                }
                var e = events.Current!;
                last = e.Revision;
                if (Translate(e, selection) is { } translated)
                    yield return translated;
            }
        }
        finally
        {
            if (signal is not null)
            {
                options.Clock.Unregister(signal);
                // Disposed at a bookmark while the next event is still awaited (an async iterator cannot be disposed
                // with a MoveNextAsync in flight): the cancelled read finishes first.
                if (waiting)
                {
                    while ((signal.Take() & BookmarkSignal.EventReady) == 0) await signal.WaitAsync();
                    try { await next; } catch (OperationCanceledException) { } catch (StorageException) { }
                }
            }
        }
    }

    private static ClusterWatchEvent? Translate(StorageEvent e, ClusterSelection selection)
    {
        // The event's object is shared by every watcher (the watch cache hands out one per event): decoded and encoded once.
        var reported = e.Reported();
        var current = e.Type != StorageEventType.Deleted && reported is not null ? SharedCluster.Of(reported) : null;
        // The previous state decides Added/Modified/Deleted only under a selector, and is the object of a delete; an
        // unselective watcher of an update never needs it (decoding it per watcher and event was most of the cost
        // of fanning one update out to thousands of watchers). A delete reports the last state at the delete's
        // revision, which is the event's object.
        SharedCluster? previous = null;
        SharedCluster Previous() => previous ??= e.Type == StorageEventType.Deleted && reported is not null
            ? SharedCluster.Of(reported)
            : SharedCluster.Of(e.Previous()!);
        var curMatches = current is not null && selection.Matches(current);
        var prevMatches = e.PrevValue is not null && (selection.IsEverything && e.Type != StorageEventType.Deleted || selection.Matches(Previous()));
        // The events are the versions' shared ones: the watch cache hands every watcher the same versions.
        return e.Type switch
        {
            StorageEventType.Deleted => prevMatches ? Previous().WatchEvent(WatchEventType.Deleted) : null,
            _ when curMatches && prevMatches => current!.WatchEvent(WatchEventType.Modified),
            _ when curMatches => current!.WatchEvent(WatchEventType.Added),
            _ when prevMatches => Previous().WatchEvent(WatchEventType.Deleted),
            _ => null,
        };
    }

    private static ClusterWatchEvent Bookmark(long revision, bool initialEventsEnd) => new(WatchEventType.Bookmark, new SharedCluster(new Cluster
    {
        ApiVersion = ClusterResource.Info.ApiVersion,
        Kind = ClusterResource.Info.Kind,
        Metadata = new ObjectMeta
        {
            ResourceVersion = ResourceVersion.Format(revision),
            Annotations = initialEventsEnd ? new() { [InitialEventsEndAnnotation] = "true" } : null,
        },
    }));
}
