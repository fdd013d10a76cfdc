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

    public async ValueTask<StoredObject?> GetAsync(string key, CancellationToken ct)
    {
        using var span = metrics.StartSpan(Get);
        var start = Stopwatch.GetTimestamp();
        var failed = true;
        try
        {
            var result = await inner.GetAsync(key, ct);
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
            metrics.Record(Get, Stopwatch.GetElapsedTime(start).TotalSeconds, failed);
        }
    }

    public async ValueTask<StoredPage> ListAsync(string prefix, ListRange range, CancellationToken ct)
    {
        using var span = metrics.StartSpan(List);
        var start = Stopwatch.GetTimestamp();
        var failed = true;
        try
        {
            var result = await inner.ListAsync(prefix, range, ct);
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
            metrics.Record(List, Stopwatch.GetElapsedTime(start).TotalSeconds, failed);
        }
    }

    public async ValueTask<long> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken ct)
    {
        var revision = await Timed(Create, Stopwatch.GetTimestamp(), inner.CreateAsync(key, value, ct));
        metrics.AddObjects(1);
        return revision;
    }

    public ValueTask<long> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedRevision, CancellationToken ct) =>
        Timed(Update, Stopwatch.GetTimestamp(), inner.UpdateAsync(key, value, expectedRevision, ct));

    public async ValueTask<long> DeleteAsync(string key, long expectedRevision, CancellationToken ct)
    {
        var revision = await Timed(Delete, Stopwatch.GetTimestamp(), inner.DeleteAsync(key, expectedRevision, ct));
        metrics.AddObjects(-1);
        return revision;
    }

    public async IAsyncEnumerable<StorageEvent> WatchAsync(string prefix, long afterRevision, [EnumeratorCancellation] CancellationToken ct)
    {
        metrics.Count(Watch);
        await foreach (var e in inner.WatchAsync(prefix, afterRevision, ct).WithCancellation(ct)) yield return e;
    }

    public ValueTask<long> CurrentRevisionAsync(CancellationToken ct) => Timed(CurrentRevision, Stopwatch.GetTimestamp(), inner.CurrentRevisionAsync(ct));

    /// <summary>The wrapped store's deeper check when it has one, else what /readyz did without the wrapper.</summary>
    public async ValueTask<string?> CheckHealthAsync(CancellationToken ct)
    {
        if (inner is IStorageHealth health) return await health.CheckHealthAsync(ct);
        await inner.CurrentRevisionAsync(ct);
        return null;
    }

    /// <summary>Awaits a call started after <paramref name="start"/> (taken before the call: a ValueTask is already running).</summary>
    private async ValueTask<long> Timed(int operation, long start, ValueTask<long> call)
    {
        using var span = metrics.StartSpan(operation);
        var failed = true;
        try
        {
            var result = await call;
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
