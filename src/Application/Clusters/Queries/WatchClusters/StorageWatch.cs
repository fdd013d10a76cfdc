using System.Runtime.CompilerServices;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Clusters.Queries.WatchClusters;

/// <summary>
/// The store's (or watch cache's) events for one watch, with its errors turned into what the watch answers: a lost
/// store ends the stream cleanly, as kube-apiserver does (the client re-watches from its last resourceVersion and gets
/// every event or a 410, never a gap; the cause goes to the log only), any other storage error becomes one ERROR
/// event (<see cref="Error"/>) and ends it. A plain enumerator rather than an async iterator wrapping the store's:
/// the iterator cost a state machine resume and an object per event and watcher on the fan-out path (C# cannot
/// yield inside a catch, which is why a wrapper is needed at all).
/// </summary>
internal sealed class StorageWatch(IObjectStorage storage, long from, IStorageFailureLog failures, CancellationToken ct) : IAsyncDisposable
{
    private IAsyncEnumerator<StorageEvent>? _inner;
    private bool _ended;

    /// <summary>The event MoveNextAsync moved to; null when it moved to <see cref="Error"/>.</summary>
    public StorageEvent? Current { get; private set; }

    /// <summary>The watch's last event when the store failed it with an answer for the client.</summary>
    public ClusterWatchEvent? Error { get; private set; }

    // Pooled: a watcher usually waits here for its next event, and an ordinary async ValueTask method allocates its
    // state machine each time it waits.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> MoveNextAsync()
    {
        if (_ended) return false;
        try
        {
            // Opened on the first move, inside the try: a store may fail the watch as it opens it.
            _inner ??= storage.WatchAsync(ClusterKeys.Prefix, from, ct).GetAsyncEnumerator(ct);
            if (await _inner.MoveNextAsync())
            {
                Current = _inner.Current;
                return true;
            }
        }
        catch (StorageException ex) when (ex.Code is StorageErrorCode.Unreachable or StorageErrorCode.Timeout)
        {
            failures.Failed("watch", ex);
        }
        catch (StorageException ex)
        {
            var status = ex.Code == StorageErrorCode.Expired
                ? ApiErrors.Expired($"too old resource version: {from} ({ex.CurrentRevision})").ToStatus()
                : StorageErrors.Interpret(ex, "", "watch").ToStatus();
            Current = null;
            Error = new ClusterWatchEvent(WatchEventType.Error, null, status);
            _ended = true;
            return true;
        }
        _ended = true;
        Current = null;
        return false;
    }

    public ValueTask DisposeAsync() => _inner?.DisposeAsync() ?? ValueTask.CompletedTask;
}
