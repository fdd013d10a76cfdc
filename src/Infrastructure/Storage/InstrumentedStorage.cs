using System.Diagnostics;
using System.Runtime.CompilerServices;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Infrastructure.Storage;

/// <summary>
/// Times every call of the wrapped store into <see cref="StorageMetrics"/> and keeps the object count current for
/// this process's own creates and deletes (other replicas' writes show at the next <see cref="StorageObjectCounter"/>
/// count). Watches are counted when opened; their duration is the client's, not the store's.
/// </summary>
public sealed class InstrumentedStorage(IObjectStorage inner, StorageMetrics metrics) : IObjectStorage, IStorageHealth
{
    private const int Get = 0, List = 1, Create = 2, Update = 3, Delete = 4, Watch = 5, CurrentRevision = 6;

    public IObjectStorage Inner => inner;

    public string Name => inner.Name;

    public ValueTask<StoredObject?> GetAsync(string key, CancellationToken ct) =>
        Timed(Get, (key, ct), static (s, a) => s.GetAsync(a.key, a.ct));

    public ValueTask<StoredObject?> GetAsync(string key, long minRevision, CancellationToken ct) =>
        Timed(Get, (key, minRevision, ct), static (s, a) => s.GetAsync(a.key, a.minRevision, a.ct));

    public ValueTask<StoredPage> ListAsync(string prefix, ListRange range, CancellationToken ct) =>
        Timed(List, (prefix, range, ct), static (s, a) => s.ListAsync(a.prefix, a.range, a.ct));

    public async ValueTask<long> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken ct)
    {
        var revision = await Timed(Create, (key, value, ct), static (s, a) => s.CreateAsync(a.key, a.value, a.ct));
        metrics.AddObjects(1);
        return revision;
    }

    public ValueTask<long> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedRevision, CancellationToken ct) =>
        Timed(Update, (key, value, expectedRevision, ct), static (s, a) => s.UpdateAsync(a.key, a.value, a.expectedRevision, a.ct));

    public async ValueTask<long> DeleteAsync(string key, long expectedRevision, CancellationToken ct)
    {
        var revision = await Timed(Delete, (key, expectedRevision, ct), static (s, a) => s.DeleteAsync(a.key, a.expectedRevision, a.ct));
        metrics.AddObjects(-1);
        return revision;
    }

    public async IAsyncEnumerable<StorageEvent> WatchAsync(string prefix, long afterRevision, [EnumeratorCancellation] CancellationToken ct)
    {
        metrics.Count(Watch);
        await foreach (var e in inner.WatchAsync(prefix, afterRevision, ct).WithCancellation(ct)) yield return e;
    }

    public async IAsyncEnumerable<StorageEvent> WatchWithProgressAsync(string prefix, long afterRevision, [EnumeratorCancellation] CancellationToken ct)
    {
        metrics.Count(Watch);
        await foreach (var e in inner.WatchWithProgressAsync(prefix, afterRevision, ct).WithCancellation(ct)) yield return e;
    }

    public ValueTask<long> CurrentRevisionAsync(CancellationToken ct) =>
        Timed(CurrentRevision, ct, static (s, c) => s.CurrentRevisionAsync(c));

    public bool RevisionInMemory => inner.RevisionInMemory;

    /// <summary>The wrapped store's deeper check when it has one, else what /readyz did without the wrapper.</summary>
    public async ValueTask<string?> CheckHealthAsync(CancellationToken ct)
    {
        if (inner is IStorageHealth health) return await health.CheckHealthAsync(ct);
        await inner.CurrentRevisionAsync(ct);
        return null;
    }

    /// <summary>
    /// Runs one call of the wrapped store inside its span and timing; the arguments travel as state to a static
    /// lambda, so the hot path allocates no closure.
    /// </summary>
    private async ValueTask<T> Timed<TArgs, T>(int operation, TArgs args, Func<IObjectStorage, TArgs, ValueTask<T>> call)
    {
        using var span = metrics.StartSpan(operation);
        var start = Stopwatch.GetTimestamp();
        var failed = true;
        try
        {
            var result = await call(inner, args);
            failed = false;
            return result;
        }
        catch (StorageException e) when (IsAnswer(e))
        {
            failed = false;
            throw;
        }
        finally
        {
            metrics.Record(operation, Stopwatch.GetElapsedTime(start).TotalSeconds, failed);
        }
    }

    /// <summary>Exists, not found, conflict and expired are the store answering, not failing (etcd counts them as successes too).</summary>
    private static bool IsAnswer(StorageException e) => e.Code is not (StorageErrorCode.Unreachable or StorageErrorCode.Timeout);
}
