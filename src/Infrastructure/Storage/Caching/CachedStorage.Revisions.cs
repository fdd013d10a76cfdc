namespace ClusterRegistry.Infrastructure.Storage.Caching;

/// <summary>
/// The store's current revision for consistent reads, with concurrent callers sharing calls. A caller joins only a
/// call not yet sent (one sent earlier might not reflect a write acknowledged just before the caller asked); up to
/// <see cref="WatchCacheOptions.RevisionCallsInFlight"/> calls are under way at once, and when one ends the callers who
/// arrived meanwhile share the next. So a burst of consistent reads costs the store a few calls instead of one each.
/// The first call of a burst is sent from the back of the thread pool's queue rather than by its first caller, so
/// the requests already queued join it (ADR-038).
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
        var send = false;
        Task<long> shared;
        lock (_revisionGate)
        {
            if (_nextRevision is { } waiting)
            {
                shared = waiting.Task;
            }
            else
            {
                // Continuations run asynchronously: run inline, the callers would render their responses one after
                // another on the thread that got the answer, so a large list in the batch would hold up the GETs
                // behind it (ADR-032 measured no gain from running them inline).
                var callers = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                shared = callers.Task;
                // Either way the call waits, not sent, for callers to join: sent by the work item queued below, or
                // by the call in flight when it ends.
                _nextRevision = callers;
                if (_revisionCalls < Math.Max(1, _options.RevisionCallsInFlight))
                {
                    _revisionCalls++;
                    send = true;
                }
            }
        }
        // Sent by a work item at the back of the thread pool's queue: the requests queued before it (under load, the
        // other connections' reads) reach this point first and join the call, so a burst shares one call.
        if (send) ThreadPool.UnsafeQueueUserWorkItem(static s => ((CachedStorage)s!).SendWaitingCallOrFreeSlot(), this, preferLocal: false);
        return new ValueTask<long>(ct.CanBeCanceled ? shared.WaitAsync(ct) : shared);
    }

    /// <summary>
    /// Sends the call waiting for callers in a slot that is free again (the work item's, or that of a call that ended);
    /// frees the slot when none waits (a call that ended meanwhile already took it as its next).
    /// </summary>
    private void SendWaitingCallOrFreeSlot()
    {
        TaskCompletionSource<long>? next;
        lock (_revisionGate)
        {
            next = _nextRevision;
            _nextRevision = null;
            if (next is null) _revisionCalls--;
        }
        if (next is not null) _ = CallRevisionsAsync(next);
    }

    /// <summary>
    /// Asks the store for <paramref name="callers"/>; then sends the next call for whoever arrived meanwhile, and only
    /// then lets this call's callers go on (each as its own work item, see <see cref="CurrentRevisionAsync"/>).
    /// </summary>
    private async Task CallRevisionsAsync(TaskCompletionSource<long> callers)
    {
        long revision = 0;
        Exception? failure = null;
        try
        {
            // The store's own deadline bounds the call; each caller's token only bounds its wait.
            revision = await _inner.CurrentRevisionAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
        }
        // The next call goes out first, so completing this call's callers cannot delay it.
        SendWaitingCallOrFreeSlot();
        if (failure is null) callers.TrySetResult(revision);
        else callers.TrySetException(failure);
    }
}
