using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Tests.StorageContractTests.Support;

/// <summary>
/// Reads one watch step by step with every wait bounded. The watch runs under its own token, cancelled on dispose;
/// a read that times out stays pending and is drained (after cancelling) when the reader is disposed.
/// </summary>
public sealed class WatchReader : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _cts = new();
    private readonly IAsyncEnumerator<StorageEvent> _enumerator;
    private readonly string _prefix;
    private readonly long _afterRevision;
    private Task<bool>? _pending;
    private int _read;

    /// <param name="withProgress">Read <see cref="IObjectStorage.WatchWithProgressAsync"/> (the watch cache's watch) instead.</param>
    public WatchReader(IObjectStorage storage, string prefix, long afterRevision, bool withProgress = false)
    {
        _prefix = prefix;
        _afterRevision = afterRevision;
        _enumerator = (withProgress
            ? storage.WatchWithProgressAsync(prefix, afterRevision, _cts.Token)
            : storage.WatchAsync(prefix, afterRevision, _cts.Token)).GetAsyncEnumerator();
    }

    /// <summary>Starts the next read without waiting for it, so the backend sets the watch up now.</summary>
    public void BeginNext() => _pending ??= _enumerator.MoveNextAsync().AsTask();

    /// <summary>Cancels the watch's token.</summary>
    public void Cancel() => _cts.Cancel();

    /// <summary>The next event, or null when the stream ended; throws what the stream throws, or TimeoutException.</summary>
    public async Task<StorageEvent?> NextOrEndAsync(TimeSpan? timeout = null)
    {
        BeginNext();
        var task = _pending!;
        var wait = timeout ?? DefaultTimeout;
        // Suppressed: a timeout leaves the task pending (checked below), a fault is rethrown by the await at the end.
        await ((Task)task).WaitAsync(wait).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!task.IsCompleted)
            throw new TimeoutException(
                $"watch on '{_prefix}' after revision {_afterRevision}: no event within {wait.TotalSeconds}s after {_read} events");
        _pending = null;
        if (!await task) return null;
        _read++;
        return _enumerator.Current;
    }

    /// <summary>The next event; fails the test if the stream ended.</summary>
    public async Task<StorageEvent> NextAsync(TimeSpan? timeout = null) =>
        await NextOrEndAsync(timeout)
        ?? throw new Xunit.Sdk.XunitException($"watch on '{_prefix}' after revision {_afterRevision} ended after {_read} events");

    /// <summary>Exactly <paramref name="count"/> next events.</summary>
    public async Task<List<StorageEvent>> ReadAsync(int count)
    {
        var list = new List<StorageEvent>(count);
        for (var i = 0; i < count; i++) list.Add(await NextAsync());
        return list;
    }

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        if (_pending is { } pending)
        {
            await ((Task)pending).WaitAsync(DefaultTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            // A read that ignores cancellation cannot be disposed safely: leave it (the test has failed already).
            if (!pending.IsCompleted) return;
        }
        try
        {
            await _enumerator.DisposeAsync();
        }
        catch (OperationCanceledException)
        {
        }
        _cts.Dispose();
    }
}
