using System.Runtime.CompilerServices;
using ClusterRegistry.Application.Abstractions;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Infrastructure.Storage.Caching;

/// <summary>
/// kube-apiserver's watch cache as a decorator of the storage port: one upstream watch of <c>prefix</c> keeps the
/// latest state of every object and a window of recent events in memory (see the Upstream part). Reads are served
/// from it only when that is as correct as reading the store:
/// <list type="bullet">
/// <item>consistent reads (latest) ask the store for its current revision — one cheap call — and wait, bounded,
/// until the cache has applied it; on timeout, or while the upstream is broken, they read the store;</item>
/// <item><see cref="ListRange.NotOlderThan"/> reads and gets with a revision bound take the cached state once it is that new;</item>
/// <item>lists at a revision (pages, Exact) use the state kept after each event in the window, else the store;</item>
/// <item>watches replay the window and then follow the fan-out, with a bounded buffer per watcher.</item>
/// </list>
/// Writes, other prefixes and the current revision go to the store.
/// </summary>
public sealed partial class CachedStorage : IObjectStorage, IStorageHealth, IAsyncDisposable
{
    private readonly IObjectStorage _inner;
    private readonly string _prefix;
    private readonly WatchCacheOptions _options;
    private readonly ILogger _logger;

    private CachedStorage(IObjectStorage inner, string prefix, WatchCacheOptions options, ILogger logger)
    {
        (_inner, _prefix, _options, _logger) = (inner, prefix, options, logger);
    }

    /// <summary>
    /// Starts caching <paramref name="prefix"/> of <paramref name="inner"/> in the background. Until the first list
    /// has been read (see <see cref="WhenReadyAsync"/>) every call goes to the store; if the store cannot be read yet,
    /// the cache keeps trying.
    /// </summary>
    public static CachedStorage Start(IObjectStorage inner, string prefix, WatchCacheOptions options, ILogger logger)
    {
        var cache = new CachedStorage(inner, prefix, options, logger);
        cache._loop = Task.Run(cache.RunAsync);
        return cache;
    }

    /// <summary>Completes once the first list is in memory, or when <paramref name="ct"/> gives up waiting (the cache keeps trying).</summary>
    public async Task WhenReadyAsync(CancellationToken ct)
    {
        try
        {
            await _firstList.Task.WaitAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    public IObjectStorage Inner => _inner;

    public string Name => _inner.Name;

    public async ValueTask<StoredObject?> GetAsync(string key, CancellationToken ct)
    {
        if (!key.StartsWith(_prefix, StringComparison.Ordinal)) return await _inner.GetAsync(key, ct);
        return await ConsistentStateAsync(ct) is { } state ? state.Find(key) : await _inner.GetAsync(key, ct);
    }

    /// <summary>From memory once the cache has applied <paramref name="minRevision"/>; from the store while the upstream is broken or slow.</summary>
    public async ValueTask<StoredObject?> GetAsync(string key, long minRevision, CancellationToken ct)
    {
        if (key.StartsWith(_prefix, StringComparison.Ordinal) && await NotOlderThanAsync(minRevision, ct) is { } state) return state.Find(key);
        return await _inner.GetAsync(key, minRevision, ct);
    }

    public async ValueTask<StoredPage> ListAsync(string prefix, ListRange range, CancellationToken ct)
    {
        if (prefix != _prefix) return await _inner.ListAsync(prefix, range, ct);
        if (range.Revision != 0)
        {
            return AtRevision(range.Revision) is { } objects
                ? CacheState.Page(objects, range, range.Revision)
                : await _inner.ListAsync(prefix, range, ct);
        }
        var state = range.NotOlderThan is { } min ? await NotOlderThanAsync(min, ct) : await ConsistentStateAsync(ct);
        return state is not null ? CacheState.Page(state.Objects, range, state.Revision) : await _inner.ListAsync(prefix, range, ct);
    }

    public ValueTask<long> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken ct) => _inner.CreateAsync(key, value, ct);

    public ValueTask<long> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedRevision, CancellationToken ct) =>
        _inner.UpdateAsync(key, value, expectedRevision, ct);

    public ValueTask<long> DeleteAsync(string key, long expectedRevision, CancellationToken ct) => _inner.DeleteAsync(key, expectedRevision, ct);

    public IAsyncEnumerable<StorageEvent> WatchAsync(string prefix, long afterRevision, CancellationToken ct) =>
        prefix == _prefix && Volatile.Read(ref _state) is not null ? WatchFromCache(afterRevision, ct) : _inner.WatchAsync(prefix, afterRevision, ct);

    public IAsyncEnumerable<StorageEvent> WatchWithProgressAsync(string prefix, long afterRevision, CancellationToken ct) =>
        _inner.WatchWithProgressAsync(prefix, afterRevision, ct);

    public async ValueTask<string?> CheckHealthAsync(CancellationToken ct)
    {
        if (_inner is IStorageHealth health) return await health.CheckHealthAsync(ct);
        await _inner.CurrentRevisionAsync(ct);
        return null;
    }

    /// <summary>
    /// The cached state if it holds every write the store has committed (read now), waiting for the upstream briefly;
    /// null when the store must answer instead (the upstream is broken or slow). A state at the store's revision is
    /// the store's state, whatever happened to the upstream before, so it is served even when not marked live.
    /// </summary>
    private async ValueTask<CacheState?> ConsistentStateAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _state) is not { } before) return null;
        // Known to be behind a revision the store had already reached: the store answers, at once and without asking
        // for its revision (which can only be that new or newer), until the upstream catches up.
        if (before.Revision < Volatile.Read(ref _behind)) return null;
        var current = await CurrentRevisionAsync(ct);
        // Only the upstream loop marks the cache live: a reader that did would undo the loop's "broken".
        if (Volatile.Read(ref _state) is { } state && state.Revision >= current) return state;
        if (!_live) return null;
        return await WaitOrFallBehindAsync(current, ct);
    }

    /// <summary>
    /// The highest revision a consistent read waited for in vain (see <see cref="FellBehind"/>); the cache is behind
    /// while its state is older.
    /// </summary>
    private long _behind;

    /// <summary>
    /// A consistent read waited <see cref="WatchCacheOptions.ConsistentReadWait"/> for the upstream to reach
    /// <paramref name="revision"/> in vain. Every read that came next used to wait as long before reading the store: a
    /// loaded host whose upstream fell a second behind served each client one read a second (ADR-032). Now only the
    /// first waits; the rest go to the store at once until the upstream has applied <paramref name="revision"/>.
    /// </summary>
    private void FellBehind(long revision)
    {
        var seen = Volatile.Read(ref _behind);
        while (revision > seen)
        {
            var was = Interlocked.CompareExchange(ref _behind, revision, seen);
            if (was != seen)
            {
                seen = was;
                continue;
            }
            LogFellBehind(_logger, Volatile.Read(ref _state)?.Revision ?? 0, revision, _options.ConsistentReadWait.TotalMilliseconds);
            return;
        }
    }

    /// <summary>The cached state once it is at least <paramref name="revision"/> new; null while the upstream is broken or on timeout.</summary>
    private async ValueTask<CacheState?> NotOlderThanAsync(long revision, CancellationToken ct)
    {
        if (!_live || Volatile.Read(ref _state) is not { } state) return null;
        if (state.Revision >= revision) return state;
        if (state.Revision < Volatile.Read(ref _behind)) return null;
        return await WaitOrFallBehindAsync(revision, ct);
    }

    /// <summary>The cached state once the upstream reaches <paramref name="revision"/>; null, and the cache marked behind, when it does not in time.</summary>
    private async ValueTask<CacheState?> WaitOrFallBehindAsync(long revision, CancellationToken ct)
    {
        if (await WaitForAsync(revision, ct)) return Volatile.Read(ref _state);
        FellBehind(revision);
        return null;
    }

    private async ValueTask<bool> WaitForAsync(long revision, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + _options.ConsistentReadWait;
        while (true)
        {
            // Take the signal before looking at the state: an event applied in between completes this very signal.
            var advanced = Volatile.Read(ref _advanced);
            if (Volatile.Read(ref _state) is { } state && state.Revision >= revision) return true;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !_live) return false;
            try
            {
                await advanced.Task.WaitAsync(left, ct);
            }
            catch (TimeoutException)
            {
                return Volatile.Read(ref _state) is { } last && last.Revision >= revision;
            }
        }
    }

    private async IAsyncEnumerable<StorageEvent> WatchFromCache(long afterRevision, [EnumeratorCancellation] CancellationToken ct)
    {
        // The cache may have begun re-listing since WatchAsync looked: the store serves this watch instead.
        if (Subscribe(afterRevision) is not { } watcher)
        {
            await foreach (var e in _inner.WatchAsync(_prefix, afterRevision, ct)) yield return e;
            yield break;
        }
        var last = afterRevision;
        var relisted = false;
        try
        {
            foreach (var e in watcher.Replay)
            {
                ct.ThrowIfCancellationRequested();
                last = e.Revision;
                yield return e;
            }
            while (true)
            {
                var next = await NextAsync(watcher.Live, ct);
                if (next == Next.Relisted) relisted = true;
                if (next != Next.Ready) break;
                while (watcher.Live.TryRead(out var e))
                {
                    if (e.Revision <= last) continue;
                    last = e.Revision;
                    yield return e;
                }
            }
        }
        finally
        {
            Unsubscribe(watcher);
            watcher.Live.Dispose();
        }
        // The cache is listing again (its upstream fell behind a compaction): the store carries this watch on from the
        // last event delivered, or answers Expired if its history no longer reaches back that far.
        if (relisted)
            await foreach (var e in _inner.WatchAsync(_prefix, last, ct)) yield return e;
    }

    private enum Next { Ready, Ended, Relisted }

    // Pooled: a watcher usually waits here for every event, and an ordinary async ValueTask method allocates its
    // state machine each time it waits.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<Next> NextAsync(WatcherQueue live, CancellationToken ct)
    {
        try
        {
            return await live.WaitToReadAsync(ct) ? Next.Ready : Next.Ended;
        }
        catch (CacheRelistedException)
        {
            return Next.Relisted;
        }
    }

    /// <summary>Ends a cache watcher whose stream the store can carry on (the cache re-lists; nothing was dropped).</summary>
    private sealed class CacheRelistedException() : Exception("the watch cache is listing again");

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync();
        try
        {
            if (_loop is not null) await _loop;
        }
        catch (OperationCanceledException)
        {
        }
        EndWatchers();
        _stop.Dispose();
    }
}
