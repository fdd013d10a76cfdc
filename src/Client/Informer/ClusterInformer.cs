using ClusterRegistry.Client.Models;
using k8s;

namespace ClusterRegistry.Client.Informer;

/// <summary>
/// A local cache of clusters kept current by list and watch, in the manner of client-go's shared informer:
/// it lists once (<see cref="HasSynced"/> turns true), then watches from the list's resourceVersion with bookmarks.
/// A watch the server ends, or one that breaks, is resumed from the last resourceVersion seen; when the server answers
/// 410 Expired (that version was compacted away, so events were lost), it lists again and reconciles the store with
/// the fresh list, raising the adds, updates and deletes the gap hid. Failures are retried with doubling delays.
/// Handlers run one at a time, in event order, on the informer's loop: subscribe before <see cref="RunAsync"/>, and
/// keep them short (hand work to a queue) — a slow handler holds back the watch.
/// </summary>
public sealed class ClusterInformer(ClusterRegistryClient client, ClusterInformerOptions? options = null) : IDisposable
{
    private readonly ClusterInformerOptions _options = options ?? new ClusterInformerOptions();
    private readonly SemaphoreSlim _dispatch = new(1, 1);

    /// <summary>Releases the handler lock; call after the informer's run has ended.</summary>
    public void Dispose() => _dispatch.Dispose();
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string? _resourceVersion;
    private int _lists;
    private int _expired;

    /// <summary>The cached clusters.</summary>
    public ClusterStore Store { get; } = new();

    /// <summary>True once the first list has been stored and its handlers called.</summary>
    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>The resourceVersion the cache reflects (of the last list, event or bookmark).</summary>
    public string? LastSyncResourceVersion => _resourceVersion;

    /// <summary>How many times the informer has listed (1 after the initial list).</summary>
    public int ListCount => Volatile.Read(ref _lists);

    /// <summary>How many times a watch answered 410 Expired, each followed by a new list.</summary>
    public int ExpiredCount => Volatile.Read(ref _expired);

    /// <summary>A cluster entered the cache (created, or newly matching after a re-list).</summary>
    public event Action<Cluster>? Added;

    /// <summary>A cached cluster changed (old, new); on a resync both are the same object.</summary>
    public event Action<Cluster, Cluster>? Updated;

    /// <summary>A cluster left the cache (deleted, or no longer matching); the last state the informer knew.</summary>
    public event Action<Cluster>? Deleted;

    /// <summary>Completes when <see cref="HasSynced"/> turns true.</summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken = default) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>Lists and watches until <paramref name="cancellationToken"/> is cancelled; it returns then (no throw).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var resync = _options.ResyncPeriod is { } period ? ResyncLoopAsync(period, stop.Token) : Task.CompletedTask;
        var delay = _options.RetryDelay;
        var needList = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (needList)
                {
                    await ListAsync(cancellationToken).ConfigureAwait(false);
                    needList = false;
                }
                if (await WatchAsync(cancellationToken).ConfigureAwait(false))
                {
                    delay = _options.RetryDelay;
                    continue;
                }
                // A watch that ended at once with nothing in it is retried after a pause, not in a tight loop.
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (ApiErrors.IsExpired(e))
            {
                Interlocked.Increment(ref _expired);
                _options.OnError?.Invoke(e);
                needList = true;
            }
            catch (Exception e)
            {
                _options.OnError?.Invoke(e);
                try
                {
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
            }
        }
        await stop.CancelAsync().ConfigureAwait(false);
        await resync.ConfigureAwait(false);
    }

    private async Task ListAsync(CancellationToken cancellationToken)
    {
        // Pages share the first page's snapshot; an expired continue token is a 410 like an expired watch.
        var items = new List<Cluster>();
        string? continueToken = null;
        string? resourceVersion = null;
        do
        {
            var page = await client.ListAsync(_options.LabelSelector, _options.FieldSelector, limit: 500,
                continueToken: continueToken, cancellationToken: cancellationToken).ConfigureAwait(false);
            items.AddRange(page.Items);
            resourceVersion ??= page.Metadata?.ResourceVersion;
            continueToken = page.Metadata?.ContinueProperty;
        }
        while (!string.IsNullOrEmpty(continueToken));
        Interlocked.Increment(ref _lists);

        await _dispatch.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var old = Store.Replace(items);
            _resourceVersion = resourceVersion;
            foreach (var cluster in items)
            {
                if (!old.Remove(cluster.Metadata.Name, out var before)) Notify(() => Added?.Invoke(cluster));
                else if (before.Metadata.ResourceVersion != cluster.Metadata.ResourceVersion) Notify(() => Updated?.Invoke(before, cluster));
            }
            foreach (var gone in old.Values) Notify(() => Deleted?.Invoke(gone));
        }
        finally
        {
            _dispatch.Release();
        }
        _synced.TrySetResult();
    }

    /// <summary>Watches from the last resourceVersion until the server ends the watch; false when it ended empty at once.</summary>
    private async Task<bool> WatchAsync(CancellationToken cancellationToken)
    {
        // Spread the watches of many informers over time, as client-go does ([timeout, 2×timeout)).
        var timeout = _options.WatchTimeout * (1 + Random.Shared.NextDouble());
        var started = DateTime.UtcNow;
        var any = false;
        await foreach (var e in client.WatchAsync(_resourceVersion, _options.LabelSelector, _options.FieldSelector,
                           allowBookmarks: true, timeoutSeconds: Math.Max(1, (int)timeout.TotalSeconds), cancellationToken).ConfigureAwait(false))
        {
            any = true;
            await ApplyAsync(e, cancellationToken).ConfigureAwait(false);
        }
        return any || DateTime.UtcNow - started > TimeSpan.FromSeconds(1);
    }

    private async Task ApplyAsync(ClusterWatchEvent e, CancellationToken cancellationToken)
    {
        await _dispatch.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            switch (e.Type)
            {
                case WatchEventType.Added or WatchEventType.Modified:
                    var before = Store.Upsert(e.Object);
                    if (before is null) Notify(() => Added?.Invoke(e.Object));
                    else Notify(() => Updated?.Invoke(before, e.Object));
                    break;
                case WatchEventType.Deleted:
                    var removed = Store.Remove(e.Object.Metadata.Name) ?? e.Object;
                    Notify(() => Deleted?.Invoke(removed));
                    break;
            }
            if (!string.IsNullOrEmpty(e.ResourceVersion)) _resourceVersion = e.ResourceVersion;
        }
        finally
        {
            _dispatch.Release();
        }
    }

    private async Task ResyncLoopAsync(TimeSpan period, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!HasSynced) continue;
                await _dispatch.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    foreach (var cluster in Store.List()) Notify(() => Updated?.Invoke(cluster, cluster));
                }
                finally
                {
                    _dispatch.Release();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Notify(Action handler)
    {
        try
        {
            handler();
        }
        catch (Exception e)
        {
            _options.OnError?.Invoke(e);
        }
    }
}
