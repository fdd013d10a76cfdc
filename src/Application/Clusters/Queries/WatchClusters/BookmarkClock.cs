using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;

namespace ClusterRegistry.Application.Clusters.Queries.WatchClusters;

/// <summary>
/// One timer for every watch that asked for bookmarks: each tick marks every such watch as due for a bookmark. A timer,
/// a cancellation source and a Task.WhenAny per event and watcher (racing each event against the interval) cost more
/// than the event itself when thousands of watchers receive one update; here an event costs one flag, and a watch that
/// waits is woken by whichever comes first, its next event or the tick. A watch's first bookmark may come earlier than
/// a full interval after it starts (the ticks are shared), never later.
/// </summary>
public sealed class BookmarkClock : IDisposable
{
    private readonly ConcurrentDictionary<BookmarkSignal, byte> _watches = new();
    private readonly Timer _timer;

    public BookmarkClock(TimeSpan interval)
    {
        // The timer holds the clock weakly: once the options holding the clock are gone, both are collected and the
        // timer stops (a test host per test would otherwise leave a ticking timer behind each).
        _timer = new Timer(static s => { if (((WeakReference<BookmarkClock>)s!).TryGetTarget(out var clock)) clock.Tick(); },
            new WeakReference<BookmarkClock>(this), interval, interval);
    }

    /// <summary>Stops the ticks (ticks also stop when the clock is collected).</summary>
    public void Dispose() => _timer.Dispose();

    /// <summary>A watch's wake-up signal, ticked until <see cref="Unregister"/>.</summary>
    public BookmarkSignal Register()
    {
        var signal = new BookmarkSignal();
        _watches.TryAdd(signal, 0);
        return signal;
    }

    public void Unregister(BookmarkSignal signal) => _watches.TryRemove(signal, out _);

    private void Tick()
    {
        // Woken on the thread pool, not on the timer's thread: a woken watch writes its bookmark on the thread that wakes it.
        foreach (var (signal, _) in _watches)
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Signal(BookmarkSignal.TickDue), signal, preferLocal: false);
    }
}

/// <summary>
/// What one waiting watch is woken by: its next event (<see cref="EventReady"/>) or the bookmark tick
/// (<see cref="TickDue"/>). Reused for every wait of the watch, so waiting allocates nothing.
/// </summary>
public sealed class BookmarkSignal : IValueTaskSource
{
    public const int EventReady = 1;
    public const int TickDue = 2;
    private const int Waiting = 4;

    // Continuations run on the thread that signals: an event continues its watch where it arrived, with no extra hop.
    private ManualResetValueTaskSourceCore<bool> _core;
    private int _flags;
    private readonly Action _onEvent;

    public BookmarkSignal() => _onEvent = () => Signal(EventReady);

    /// <summary>Signals <see cref="EventReady"/> when <paramref name="next"/> completes; the caller then awaits it (once).</summary>
    public void Arm(ValueTask<bool> next) => next.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onEvent);

    /// <summary>Completes once a signal is pending; <see cref="Take"/> then says which.</summary>
    public ValueTask WaitAsync()
    {
        _core.Reset();
        var before = Interlocked.Or(ref _flags, Waiting);
        if ((before & (EventReady | TickDue)) == 0) return new ValueTask(this, _core.Version);
        Interlocked.And(ref _flags, ~Waiting);
        return ValueTask.CompletedTask;
    }

    /// <summary>The pending signals, now cleared.</summary>
    public int Take() => Interlocked.Exchange(ref _flags, 0) & (EventReady | TickDue);

    public void Signal(int what)
    {
        var before = Interlocked.Or(ref _flags, what);
        // Only the first signal of a wait completes it; later ones stay pending for Take.
        if ((before & Waiting) != 0 && (before & (EventReady | TickDue)) == 0) _core.SetResult(true);
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
