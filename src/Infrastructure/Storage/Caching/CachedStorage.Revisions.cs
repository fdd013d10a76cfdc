namespace ClusterRegistry.Infrastructure.Storage.Caching;

/// <summary>
/// The store's current revision for consistent reads, with concurrent callers sharing calls. A caller joins only a
/// call not yet sent (one sent earlier might not reflect a write acknowledged just before the caller asked); up to
/// <see cref="WatchCacheOptions.RevisionCallsInFlight"/> calls are under way at once, and when one ends the callers who
/// arrived meanwhile share the next. So a burst of consistent reads costs the store a few calls instead of one each.
/// </summary>
public sealed partial class CachedStorage
{
    private readonly Lock _revisionGate = new();
    /// <summary>The callers of the next call, not sent yet (null when nobody waits for one).</summary>
    private TaskCompletionSource<long>? _nextRevision;
    private int _revisionCalls;

    public bool RevisionInMemory => _inner.RevisionInMemory;

    public ValueTask<long> CurrentRevisionAsync(CancellationToken ct)
    {
        // A store that answers from memory is asked directly: sharing its answer would cost each read a task to save nothing.
        if (_inner.RevisionInMemory) return _inner.CurrentRevisionAsync(ct);
        TaskCompletionSource<long>? send = null;
        Task<long> shared;
        lock (_revisionGate)
        {
            if (_nextRevision is { } waiting)
            {
                shared = waiting.Task;
            }
            else
            {
                var callers = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                shared = callers.Task;
                if (_revisionCalls < Math.Max(1, _options.RevisionCallsInFlight))
                {
                    _revisionCalls++;
                    send = callers;
                }
                else
                {
                    _nextRevision = callers;
                }
            }
        }
        // Sent from this caller's thread: writing the request needs no hop to the thread pool first.
        if (send is not null) _ = CallRevisionsAsync(send);
        return new ValueTask<long>(ct.CanBeCanceled ? shared.WaitAsync(ct) : shared);
    }

    /// <summary>Asks the store for <paramref name="callers"/>, then for whoever waits for the next call, until nobody does.</summary>
    private async Task CallRevisionsAsync(TaskCompletionSource<long> callers)
    {
        while (true)
        {
            try
            {
                // The store's own deadline bounds the call; each caller's token only bounds its wait.
                callers.TrySetResult(await _inner.CurrentRevisionAsync(CancellationToken.None).ConfigureAwait(false));
            }
            catch (Exception e)
            {
                callers.TrySetException(e);
            }
            lock (_revisionGate)
            {
                if (_nextRevision is null)
                {
                    _revisionCalls--;
                    return;
                }
                callers = _nextRevision;
                _nextRevision = null;
            }
        }
    }
}
