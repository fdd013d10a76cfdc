using System.Collections.Immutable;
using ClusterRegistry.Application.Abstractions;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Infrastructure.Storage.Caching;

/// <summary>
/// The upstream side of the cache: list once, then follow one watch of the store from the listed revision, applying
/// each event to the state, the window and the watchers under one lock (so a new watcher's replay and its live
/// events meet without a gap or a repeat). A broken watch resumes from the last applied revision; when that is no
/// longer available (compacted during an outage) the cache lists again and ends every watcher, whose clients then
/// re-watch (or get 410 and re-list), as kube-apiserver's cache does.
/// </summary>
public sealed partial class CachedStorage
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    private CacheState? _state;
    /// <summary>True while the upstream watch is known to deliver; reads that cannot prove freshness go to the store otherwise.</summary>
    private volatile bool _live;
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Recent events under the prefix, oldest first: every event after <see cref="_windowStart"/> is here.</summary>
    private readonly List<StorageEvent> _window = [];
    private long _windowStart;
    /// <summary>
    /// For lists at a revision: the state at <see cref="_windowStart"/>; a later one is rebuilt from it and the
    /// window's events (<see cref="AtRevision"/>). Keeping the state after each event pinned the tree nodes every event
    /// had copied — with 10,000 events in the window, 130,000 nodes (6 MB), and still 70,000 with a state kept every 64
    /// events — for the rare list at a revision (ADR-026).
    /// </summary>
    private CacheState? _start;
    /// <summary>The last state <see cref="AtRevision"/> rebuilt, at the revision of its last event: the pages of one list share it.</summary>
    private CacheState? _rebuilt;
    /// <summary>Lists below this revision go to the store: its history there has been compacted (see <see cref="Compacted"/>).</summary>
    private long _floor;
    private readonly List<Watcher> _watchers = [];

    private readonly TaskCompletionSource _firstList = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (Volatile.Read(ref _state) is null) await ListAsync(ct);
                _firstList.TrySetResult();
                await foreach (var e in _inner.WatchWithProgressAsync(_prefix, Volatile.Read(ref _state)!.Revision, ct))
                    Apply(e);
                // The store ended the stream (it may, for a slow consumer): follow on from the last applied revision.
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (StorageException e) when (e.Code == StorageErrorCode.Expired)
            {
                LogRelist(_logger, e.Message);
                Reset();
            }
            catch (Exception e)
            {
                _live = false;
                // Watchers end with the cause, so the watch handler reports (and logs) the lost store as it does
                // without the cache; a clean end would look like a timeout to clients and to the logs.
                EndWatchers(e as StorageException ?? new StorageException(StorageErrorCode.Unreachable, _prefix, e.Message, inner: e));
                LogUpstreamBroken(_logger, e.Message);
                try { await Task.Delay(_options.RetryDelay, ct); } catch (OperationCanceledException) { return; }
            }
        }
    }

    private async Task ListAsync(CancellationToken ct)
    {
        var page = await _inner.ListAsync(_prefix, new ListRange(), ct);
        var state = new CacheState(page.Items.ToImmutableSortedSet(CacheState.ByKey), page.Revision);
        lock (_gate)
        {
            _window.Clear();
            _start = state;
            _windowStart = page.Revision;
            _floor = 0;
            Volatile.Write(ref _state, state);
            _live = true;
        }
        CaughtUp(page.Revision);
        Signal();
    }

    /// <summary>Forgets the state, so the loop lists again; watchers of the old state end (their next event may be gone).</summary>
    private void Reset()
    {
        _live = false;
        lock (_gate) Volatile.Write(ref _state, null);
        EndWatchers(new CacheRelistedException());
    }

    private void Apply(StorageEvent e)
    {
        lock (_gate)
        {
            var state = _state!;
            if (e.Revision <= state.Revision) return;
            if (e.Type == StorageEventType.Progress)
            {
                Volatile.Write(ref _state, state with { Revision = e.Revision });
            }
            else
            {
                var probe = CacheState.Probe(e.Key);
                // The state before an update or delete is the cached version (a store's watch need not look it up:
                // etcd's would read it from disk and send it beside every event).
                // An explicit nullable: a bare null would convert to an empty, present ReadOnlyMemory (via byte[]).
                var prevValue = e.Type == StorageEventType.Added ? (ReadOnlyMemory<byte>?)null
                    : state.Objects.TryGetValue(probe, out var cached) ? cached.Value
                    : e.PrevValue ?? throw new StorageException(StorageErrorCode.Expired, e.Key,
                        $"the watch cache has no state before the {e.Type} at revision {e.Revision}");
                var objects = state.Objects.Remove(probe);
                // One StoredObject per version, in the state and in the event every watcher receives, so readers
                // share its decoded and encoded form (StoredObject.Decoded): a version is encoded once, not per reader.
                // The previous state likewise, at the event's revision: a delete reports it (as Object), a selector
                // watcher matches against it.
                e = e with { PrevValue = prevValue };
                var previous = e.Previous();
                e = e with { Object = e.Type == StorageEventType.Deleted ? previous : e.Reported(), PrevObject = previous };
                if (e.Type != StorageEventType.Deleted) objects = objects.Add(e.Object!);
                var next = new CacheState(objects, e.Revision);
                Volatile.Write(ref _state, next);
                _window.Add(e);
                // Trimmed in batches of an eighth of the window, so a full window costs no copy per event.
                if (_window.Count > _options.WindowEvents + _options.WindowEvents / 8)
                {
                    var drop = _window.Count - _options.WindowEvents;
                    _windowStart = _window[drop - 1].Revision;
                    DropEvents(drop);
                }
                Publish(e);
            }
            _live = true;
        }
        CaughtUp(e.Revision);
        Signal();
    }

    /// <summary>Consistent reads are served from memory again once the upstream has applied the revision they fell behind.</summary>
    private void CaughtUp(long revision)
    {
        var behind = Volatile.Read(ref _behind);
        if (behind == 0 || revision < behind || Interlocked.CompareExchange(ref _behind, 0, behind) != behind) return;
        LogCaughtUp(_logger, revision);
    }

    private void Signal() => Interlocked.Exchange(ref _advanced, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>
    /// The store compacted its history at <paramref name="revision"/> (this process's compactor): watches and lists
    /// from before it become Expired here too, as they are in the store, and the memory they held is released.
    /// </summary>
    public void Compacted(long revision)
    {
        lock (_gate)
        {
            _floor = Math.Max(_floor, revision);
            if (revision <= _windowStart) return;
            DropEvents(FirstAfter(revision));
            _windowStart = revision;
        }
    }

    /// <summary>The objects as of <paramref name="revision"/> when the window still holds that state, else null.</summary>
    private ImmutableSortedSet<StoredObject>? AtRevision(long revision)
    {
        CacheState start;
        StorageEvent[] events;
        lock (_gate)
        {
            if (_state is not { } current || revision > current.Revision || revision < _floor || _start is null || revision < _start.Revision)
                return null;
            // The state after the window's last event at or before the revision: nothing under the prefix changed between them.
            var count = FirstAfter(revision);
            if (count == 0) return _start.Objects;
            // After the window's last event (the pages of a list begun just now): the latest state.
            if (count == _window.Count) return current.Objects;
            if (_rebuilt is { } rebuilt && rebuilt.Revision == _window[count - 1].Revision) return rebuilt.Objects;
            (start, events) = (_start, _window.GetRange(0, count).ToArray());
        }
        // Rebuilt outside the lock, which the upstream and every watcher wait for. A state at a revision is the store's
        // state then, so a rebuilt one stays right whatever the window does meanwhile.
        var state = Replay(start, events);
        Volatile.Write(ref _rebuilt, state);
        return state.Objects;
    }

    /// <summary><paramref name="start"/> with <paramref name="events"/> (all after it, in order) applied, at the last event's revision.</summary>
    private static CacheState Replay(CacheState start, IReadOnlyList<StorageEvent> events)
    {
        var objects = start.Objects.ToBuilder();
        foreach (var e in events)
        {
            objects.Remove(CacheState.Probe(e.Key));
            if (e.Type != StorageEventType.Deleted) objects.Add(e.Object!);
        }
        return new CacheState(objects.ToImmutable(), events[^1].Revision);
    }

    /// <summary>Under the lock: the index of the window's first event after <paramref name="revision"/>.</summary>
    private int FirstAfter(long revision)
    {
        int lo = 0, hi = _window.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_window[mid].Revision <= revision) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>Under the lock: forgets the window's first <paramref name="drop"/> events; the start state moves past them.</summary>
    private void DropEvents(int drop)
    {
        if (drop == 0) return;
        // Dropping every event (a compaction past them) needs no replay: the start is the latest state.
        _start = drop == _window.Count && _state is { } latest
            ? new CacheState(latest.Objects, _window[^1].Revision)
            : Replay(_start!, _window.GetRange(0, drop));
        _window.RemoveRange(0, drop);
    }

    // ---------------------------------------------------------------- watchers

    private sealed class Watcher(StorageEvent[] replay, WatcherQueue live)
    {
        public StorageEvent[] Replay { get; } = replay;
        public WatcherQueue Live { get; } = live;
    }

    /// <summary>A watcher replaying the window after <paramref name="afterRevision"/>; null while the cache re-lists.</summary>
    private Watcher? Subscribe(long afterRevision)
    {
        lock (_gate)
        {
            if (_state is null) return null;
            if (afterRevision < _windowStart)
                throw new StorageException(StorageErrorCode.Expired, _prefix, "required revision is older than the watch cache's window", _windowStart);
            int lo = 0, hi = _window.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) / 2;
                if (_window[mid].Revision <= afterRevision) lo = mid + 1; else hi = mid;
            }
            var replay = _window.GetRange(lo, _window.Count - lo).ToArray();
            var watcher = new Watcher(replay, new WatcherQueue(_options.WatcherBuffer));
            _watchers.Add(watcher);
            return watcher;
        }
    }

    private void Unsubscribe(Watcher watcher)
    {
        lock (_gate) _watchers.Remove(watcher);
    }

    /// <summary>Under the lock: one non-blocking write per watcher; a watcher whose buffer is full is ended, never waited for.</summary>
    private void Publish(StorageEvent e)
    {
        for (var i = _watchers.Count - 1; i >= 0; i--)
        {
            if (_watchers[i].Live.TryWrite(e)) continue;
            _watchers[i].Live.Complete();
            _watchers.RemoveAt(i);
        }
    }

    private void EndWatchers(Exception? cause = null)
    {
        lock (_gate)
        {
            foreach (var w in _watchers) w.Live.Complete(cause);
            _watchers.Clear();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch cache: the store's history moved past the cache ({Reason}); listing again")]
    private static partial void LogRelist(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch cache: the upstream is behind the store (at {Applied}, the store at {Current}, not reached in {WaitMs} ms); consistent reads go to the store until it catches up")]
    private static partial void LogFellBehind(ILogger logger, long applied, long current, double waitMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch cache: the upstream caught up (at {Applied}); consistent reads are served from memory again")]
    private static partial void LogCaughtUp(ILogger logger, long applied);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch cache: the upstream watch broke ({Reason}); reads go to the store until it resumes")]
    private static partial void LogUpstreamBroken(ILogger logger, string reason);
}
