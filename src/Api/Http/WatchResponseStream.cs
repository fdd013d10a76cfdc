using System.Buffers;
using System.IO.Pipelines;
using ClusterRegistry.Api.Printing;
using ClusterRegistry.Application.Clusters.Queries.ListClusters;
using ClusterRegistry.Application.Clusters.Queries.WatchClusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Http;

/// <summary>
/// Moves one watch's events from the handler to the response. While the client keeps up, each event is written and
/// flushed by the continuation that took it from the handler (a flush completes at once while the response's buffer
/// has room), so an event costs no queue, task or thread-pool hop of its own between the watch cache and the socket.
/// When a flush waits (the client is behind by more than the response buffer), live events keep being taken into a
/// backlog of at most <c>capacity</c>; one more closes the watch, so a client that stops reading holds bounded memory
/// and the watch cache never waits for it. Initial events (before <see cref="ClusterWatchEvent.Live"/>) are the
/// snapshot the client asked for: they wait for the client instead.
/// </summary>
internal sealed class WatchResponseStream(IAsyncEnumerator<ClusterWatchEvent> events, PipeWriter body, Representation rep,
    string includeObject, Observability.WatchMetrics metrics)
{
    private bool _columnsSent;
    private Task<bool>? _next;
    private Task<FlushResult>? _flushing;

    /// <summary>Streams until the handler ends; true when the client fell more than <paramref name="capacity"/> events behind.</summary>
    public async Task<bool> RunAsync(int capacity, CancellationToken ct)
    {
        var live = false;
        var ended = false;
        Queue<ClusterWatchEvent>? backlog = null;
        var inFlight = 0;
        while (true)
        {
            if (_flushing is null)
            {
                if (backlog is { Count: > 0 })
                {
                    // Caught up: what waited goes out in one flush.
                    inFlight = backlog.Count;
                    while (backlog.TryDequeue(out var waited)) Write(waited);
                    if (!Flushed(body.FlushAsync(ct), inFlight)) continue;
                }
                if (ended) return false;
                var more = _next is { } next ? await next : await events.MoveNextAsync();
                _next = null;
                if (!more) return false;
                var e = events.Current;
                if (ReferenceEquals(e, ClusterWatchEvent.Live))
                {
                    live = true;
                    continue;
                }
                Write(e);
                var flush = body.FlushAsync(ct);
                if (!live)
                {
                    await flush;
                    metrics.EventsSent(1);
                    continue;
                }
                inFlight = 1;
                Flushed(flush, 1);
                continue;
            }

            // Behind: wait for whichever comes first, the client taking the flushed bytes or the next event.
            if (!ended)
            {
                _next ??= events.MoveNextAsync().AsTask();
                if (await Task.WhenAny(_flushing, _next) == _next)
                {
                    var more = await _next;
                    _next = null;
                    if (!more)
                    {
                        ended = true;
                        continue;
                    }
                    var e = events.Current;
                    if (ReferenceEquals(e, ClusterWatchEvent.Live)) continue;
                    (backlog ??= new()).Enqueue(e);
                    if (backlog.Count > capacity) return true;
                    continue;
                }
            }
            await _flushing;
            _flushing = null;
            metrics.EventsSent(inFlight);
        }
    }

    /// <summary>After the watch was cancelled: lets a read or flush still in flight finish, so the handler can be disposed.</summary>
    public async Task SettleAsync()
    {
        // Their outcome no longer matters (the watch is over and its end already decided); only that they finished.
        if (_next is { } next) await ((Task)next).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_flushing is { } flushing) await ((Task)flushing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>True when the flush completed at once (its events are sent); otherwise it is the flush being waited for.</summary>
    private bool Flushed(ValueTask<FlushResult> flush, int count)
    {
        if (flush.IsCompletedSuccessfully)
        {
            metrics.EventsSent(count);
            return true;
        }
        _flushing = flush.AsTask();
        return false;
    }

    private void Write(ClusterWatchEvent e)
    {
        if (e.Error is null && rep.IsPlainJson) WatchEventEncoding.Write(body, e.Type, e.Object!);
        else if (e.Error is null && rep.Transform == Transforms.Table && e.Type != WatchEventType.Bookmark) WriteTable(e);
        else body.Write(WatchEventEncoding.Line(e.Type, e.Error is not null ? e.Error : Transform(e)));
    }

    // A Table event (always compact JSON, whatever pretty says) with its row read from the version's bytes; after the
    // first, whose Table carries the column definitions, the line is shared with the other Table watchers (ADR-036).
    private void WriteTable(ClusterWatchEvent e)
    {
        var now = DateTimeOffset.UtcNow;
        if (_columnsSent)
        {
            WatchTableLines.Write(body, e.Type, e.Object!, includeObject, rep.TransformApiVersion, now);
            return;
        }
        WatchEventEncoding.WritePrefix(body, e.Type);
        TableEncoding.WriteOne(body, e.Object!, includeObject, withColumns: true, now, rep.TransformApiVersion);
        WatchEventEncoding.WriteSuffix(body);
        _columnsSent = true;
    }

    private object Transform(ClusterWatchEvent e)
    {
        var cluster = e.Object!.Object;
        if (e.Type == WatchEventType.Bookmark)
            return rep.Transform is null ? cluster : ClusterPrinter.Partial(cluster);
        return rep.Transform == Transforms.Partial ? ClusterPrinter.Partial(cluster, rep.TransformApiVersion) : cluster;
    }
}
