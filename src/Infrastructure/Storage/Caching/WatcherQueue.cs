using System.Threading.Tasks.Sources;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Infrastructure.Storage.Caching;

/// <summary>
/// One cache watcher's live events: written by the cache's publish (under its lock, never waiting), read by the one
/// watch that owns it. It replaces a bounded <c>Channel</c> on the fan-out's hottest path: there every wait of every
/// watcher for every event allocated an operation object and registered and unregistered its cancellation token;
/// here a watcher has one reusable wait (an <see cref="IValueTaskSource{TResult}"/>) and registers its token once.
/// Its continuation still runs on the thread pool, so one update's watchers are served on every core and the
/// publisher never runs a watcher's code.
/// </summary>
internal sealed class WatcherQueue : IValueTaskSource<bool>, IDisposable
{
    private readonly Lock _lock = new();
    private readonly Queue<StorageEvent> _items = new();
    private readonly int _capacity;
    private ManualResetValueTaskSourceCore<bool> _wait = new() { RunContinuationsAsynchronously = true };
    private bool _waiting;
    private bool _completed;
    private Exception? _error;
    private CancellationToken _token;
    private CancellationTokenRegistration _registration;

    public WatcherQueue(int capacity) => _capacity = capacity;

    /// <summary>Queues an event; false when the watcher is full (it is then to be completed) or already completed.</summary>
    public bool TryWrite(StorageEvent e)
    {
        lock (_lock)
        {
            if (_completed || _items.Count >= _capacity) return false;
            _items.Enqueue(e);
            if (!_waiting) return true;
            _waiting = false;
        }
        _wait.SetResult(true);
        return true;
    }

    /// <summary>No more events: the reader takes what is queued, then its wait ends with false (or throws <paramref name="error"/>).</summary>
    public void Complete(Exception? error = null)
    {
        lock (_lock)
        {
            if (_completed) return;
            _completed = true;
            _error = error;
            if (!_waiting) return;
            _waiting = false;
        }
        if (error is null) _wait.SetResult(false);
        else _wait.SetException(error);
    }

    public bool TryRead(out StorageEvent e)
    {
        lock (_lock) return _items.TryDequeue(out e!);
    }

    /// <summary>
    /// True once an event is queued; false when completed and drained; throws the completion's error, or
    /// <see cref="OperationCanceledException"/> once <paramref name="ct"/> is cancelled. One reader, one wait at a
    /// time, and the same token on every call (it is registered once, on the first wait).
    /// </summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken ct)
    {
        // Registered before the lock, not under it: a token cancelled meanwhile runs the callback inline, which must
        // find no wait armed (and does nothing), so the check under the lock below sees the cancellation instead of
        // arming a wait nobody would end.
        if (!_token.CanBeCanceled && ct.CanBeCanceled)
        {
            _token = ct;
            _registration = ct.UnsafeRegister(static s => ((WatcherQueue)s!).Cancelled(), this);
        }
        lock (_lock)
        {
            if (ct.IsCancellationRequested) return ValueTask.FromCanceled<bool>(ct);
            if (_items.Count > 0) return new ValueTask<bool>(true);
            if (_completed) return _error is null ? new ValueTask<bool>(false) : ValueTask.FromException<bool>(_error);
            _wait.Reset();
            _waiting = true;
            return new ValueTask<bool>(this, _wait.Version);
        }
    }

    private void Cancelled()
    {
        lock (_lock)
        {
            if (!_waiting) return;
            _waiting = false;
        }
        _wait.SetException(new OperationCanceledException(_token));
    }

    public void Dispose() => _registration.Dispose();

    bool IValueTaskSource<bool>.GetResult(short token) => _wait.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _wait.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(continuation, state, token, flags);
}
