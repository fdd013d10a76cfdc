using ClusterRegistry.Application.Clusters.Queries.ListClusters;
using ClusterRegistry.Application.Clusters.Queries.WatchClusters;

namespace ClusterRegistry.Tests.ApplicationTests.Support;

/// <summary>Reads a watch one event at a time; a generous deadline turns a watch that never delivers into a failure, not a hang.</summary>
public sealed class WatchReader : IAsyncDisposable
{
    private readonly CancellationTokenSource _deadline = new(TimeSpan.FromSeconds(60));
    private readonly IAsyncEnumerator<ClusterWatchEvent> _events;

    public WatchReader(ApplicationHost app, ListParameters parameters) =>
        _events = app.WatchAsync(parameters, _deadline.Token).GetAsyncEnumerator(_deadline.Token);

    /// <summary>The next item, the Started and Live markers included.</summary>
    public async Task<ClusterWatchEvent> NextAsync()
    {
        Assert.True(await _events.MoveNextAsync(), "the watch ended");
        return _events.Current;
    }

    /// <summary>True when the watch has nothing more to send.</summary>
    public async Task<bool> EndsAsync() => !await _events.MoveNextAsync();

    /// <summary>Reads through the Started marker, the initial events and the Live marker; returns the initial events.</summary>
    public async Task<List<ClusterWatchEvent>> InitialAsync()
    {
        Assert.Same(ClusterWatchEvent.Started, await NextAsync());
        var initial = new List<ClusterWatchEvent>();
        for (var e = await NextAsync(); !ReferenceEquals(e, ClusterWatchEvent.Live); e = await NextAsync())
            initial.Add(e);
        return initial;
    }

    public async ValueTask DisposeAsync()
    {
        await _deadline.CancelAsync();
        try
        {
            await _events.DisposeAsync();
        }
        catch (OperationCanceledException)
        {
        }
        _deadline.Dispose();
    }
}
