using System.Runtime.CompilerServices;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Tests.ApplicationTests.Support;

/// <summary>
/// A decorator of the storage port over the real store (not a fake): it counts the writes the handlers send, and can
/// run one concurrent write of the test's choosing between a handler's read and its compare-and-swap, so the race a
/// second client would cause happens on demand. The concurrent write goes to the same real store, which then refuses
/// the handler's stale write with its own Conflict.
/// </summary>
public sealed class InterposingStorage(IObjectStorage inner) : IObjectStorage
{
    private int _creates, _updates, _deletes;
    private Func<Task>? _beforeNextWrite;

    public int Creates => Volatile.Read(ref _creates);
    public int Updates => Volatile.Read(ref _updates);
    public int Deletes => Volatile.Read(ref _deletes);
    public int Writes => Creates + Updates + Deletes;

    /// <summary>Runs <paramref name="write"/> once, before the next update or delete reaches the store.</summary>
    public void BeforeNextWrite(Func<Task> write) => _beforeNextWrite = write;

    private TaskCompletionSource? _watchesHeld;

    /// <summary>
    /// Holds back every watch event from now on — the watch cache falls behind the store, as it does behind another
    /// replica's write still on its way — until the next consistent read asks for the store's revision
    /// (<see cref="CurrentRevisionAsync"/>), which lets them through.
    /// </summary>
    public void HoldWatchesUntilNextConsistentRead() =>
        Volatile.Write(ref _watchesHeld, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>How many times a consistent read asked for the store's revision.</summary>
    public int RevisionCalls => Volatile.Read(ref _revisionCalls);

    private int _revisionCalls;

    public string Name => inner.Name;

    public ValueTask<StoredObject?> GetAsync(string key, CancellationToken ct) => inner.GetAsync(key, ct);

    public ValueTask<StoredObject?> GetAsync(string key, long minRevision, CancellationToken ct) => inner.GetAsync(key, minRevision, ct);

    public ValueTask<StoredPage> ListAsync(string prefix, ListRange range, CancellationToken ct) => inner.ListAsync(prefix, range, ct);

    public ValueTask<long> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken ct)
    {
        Interlocked.Increment(ref _creates);
        return inner.CreateAsync(key, value, ct);
    }

    public async ValueTask<long> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedRevision, CancellationToken ct)
    {
        await InterposeAsync();
        Interlocked.Increment(ref _updates);
        return await inner.UpdateAsync(key, value, expectedRevision, ct);
    }

    public async ValueTask<long> DeleteAsync(string key, long expectedRevision, CancellationToken ct)
    {
        await InterposeAsync();
        Interlocked.Increment(ref _deletes);
        return await inner.DeleteAsync(key, expectedRevision, ct);
    }

    public IAsyncEnumerable<StorageEvent> WatchAsync(string prefix, long afterRevision, CancellationToken ct) =>
        Held(inner.WatchAsync(prefix, afterRevision, ct), ct);

    public IAsyncEnumerable<StorageEvent> WatchWithProgressAsync(string prefix, long afterRevision, CancellationToken ct) =>
        Held(inner.WatchWithProgressAsync(prefix, afterRevision, ct), ct);

    public ValueTask<long> CurrentRevisionAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _revisionCalls);
        Interlocked.Exchange(ref _watchesHeld, null)?.TrySetResult();
        return inner.CurrentRevisionAsync(ct);
    }

    private async IAsyncEnumerable<StorageEvent> Held(IAsyncEnumerable<StorageEvent> events, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var e in events.WithCancellation(ct))
        {
            if (Volatile.Read(ref _watchesHeld) is { } held) await held.Task.WaitAsync(ct);
            yield return e;
        }
    }

    public bool RevisionInMemory => inner.RevisionInMemory;

    private async Task InterposeAsync()
    {
        // Taken before it runs: the interposed write may itself pass through here.
        if (Interlocked.Exchange(ref _beforeNextWrite, null) is { } write) await write();
    }
}
