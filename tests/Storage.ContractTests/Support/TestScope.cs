namespace ClusterRegistry.Tests.StorageContractTests.Support;

/// <summary>
/// What one test owns (stores, caches, proxies), disposed after it in reverse order, and its deadline: a test whose
/// store hangs fails when the deadline cancels it instead of hanging the run.
/// </summary>
public sealed class TestScope(TimeSpan deadline) : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly CancellationTokenSource _cts = new(deadline);

    public CancellationToken Ct => _cts.Token;

    public T Own<T>(T disposable) where T : IAsyncDisposable
    {
        lock (_owned) _owned.Add(disposable);
        return disposable;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
        _cts.Dispose();
    }
}
