using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Tests.StorageContractTests.Support;

/// <summary>
/// Passes every call to <paramref name="inner"/>, but delivers each event of <see cref="WatchWithProgressAsync"/> (a watch
/// cache's upstream) <paramref name="lag"/> after the store sent it, and each answer of <see cref="CurrentRevisionAsync"/>
/// <paramref name="revisionLag"/> after the store gave it, as a loaded replica's connection may; and counts the revision
/// calls it serves, and how many were under way at once at most.
/// </summary>
public sealed class LaggingUpstreamStorage(IObjectStorage inner, TimeSpan lag, TimeSpan revisionLag) : IObjectStorage
{
    private int _calls, _open, _mostOpen;

    public int RevisionCalls => Volatile.Read(ref _calls);

    public int MostRevisionCallsAtOnce => Volatile.Read(ref _mostOpen);

    public string Name => inner.Name;

    public bool RevisionInMemory => inner.RevisionInMemory;

    public async ValueTask<long> CurrentRevisionAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _calls);
        var open = Interlocked.Increment(ref _open);
        for (var most = Volatile.Read(ref _mostOpen); open > most; most = Volatile.Read(ref _mostOpen))
            Interlocked.CompareExchange(ref _mostOpen, open, most);
        try
        {
            var revision = await inner.CurrentRevisionAsync(ct);
            await Task.Delay(revisionLag, ct);
            return revision;
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    public async IAsyncEnumerable<StorageEvent> WatchWithProgressAsync(string prefix, long afterRevision, [EnumeratorCancellation] CancellationToken ct)
    {
        // Each event keeps the time it arrived, so the lag does not add up over a burst of events.
        var arrived = Channel.CreateUnbounded<(StorageEvent Event, long At)>();
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in inner.WatchWithProgressAsync(prefix, afterRevision, ct)) arrived.Writer.TryWrite((e, Stopwatch.GetTimestamp()));
                arrived.Writer.TryComplete();
            }
            catch (Exception e)
            {
                arrived.Writer.TryComplete(e);
            }
        }, CancellationToken.None);
        await foreach (var (e, at) in arrived.Reader.ReadAllAsync(ct))
        {
            var due = lag - Stopwatch.GetElapsedTime(at);
            if (due > TimeSpan.Zero) await Task.Delay(due, ct);
            yield return e;
        }
    }

    public ValueTask<StoredObject?> GetAsync(string key, CancellationToken ct) => inner.GetAsync(key, ct);

    public ValueTask<StoredObject?> GetAsync(string key, long minRevision, CancellationToken ct) => inner.GetAsync(key, minRevision, ct);

    public ValueTask<StoredPage> ListAsync(string prefix, ListRange range, CancellationToken ct) => inner.ListAsync(prefix, range, ct);

    public ValueTask<long> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken ct) => inner.CreateAsync(key, value, ct);

    public ValueTask<long> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedRevision, CancellationToken ct) =>
        inner.UpdateAsync(key, value, expectedRevision, ct);

    public ValueTask<long> DeleteAsync(string key, long expectedRevision, CancellationToken ct) => inner.DeleteAsync(key, expectedRevision, ct);

    public IAsyncEnumerable<StorageEvent> WatchAsync(string prefix, long afterRevision, CancellationToken ct) => inner.WatchAsync(prefix, afterRevision, ct);
}
