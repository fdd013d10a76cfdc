using System.Collections.Concurrent;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Tests.StorageContractTests.Support;

/// <summary>Passes every call to <paramref name="inner"/> and records the revision of each list it serves (0: latest).</summary>
public sealed class ListCountingStorage(IObjectStorage inner) : IObjectStorage
{
    private readonly ConcurrentQueue<long> _lists = new();

    /// <summary>The revisions of the lists served so far, in order.</summary>
    public IReadOnlyList<long> Lists => [.. _lists];

    public string Name => inner.Name;

    public ValueTask<StoredObject?> GetAsync(string key, CancellationToken ct) => inner.GetAsync(key, ct);

    public ValueTask<StoredObject?> GetAsync(string key, long minRevision, CancellationToken ct) => inner.GetAsync(key, minRevision, ct);

    public ValueTask<StoredPage> ListAsync(string prefix, ListRange range, CancellationToken ct)
    {
        _lists.Enqueue(range.Revision);
        return inner.ListAsync(prefix, range, ct);
    }

    public ValueTask<long> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken ct) => inner.CreateAsync(key, value, ct);

    public ValueTask<long> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedRevision, CancellationToken ct) =>
        inner.UpdateAsync(key, value, expectedRevision, ct);

    public ValueTask<long> DeleteAsync(string key, long expectedRevision, CancellationToken ct) => inner.DeleteAsync(key, expectedRevision, ct);

    public IAsyncEnumerable<StorageEvent> WatchAsync(string prefix, long afterRevision, CancellationToken ct) => inner.WatchAsync(prefix, afterRevision, ct);

    public IAsyncEnumerable<StorageEvent> WatchWithProgressAsync(string prefix, long afterRevision, CancellationToken ct) =>
        inner.WatchWithProgressAsync(prefix, afterRevision, ct);

    public ValueTask<long> CurrentRevisionAsync(CancellationToken ct) => inner.CurrentRevisionAsync(ct);

    public bool RevisionInMemory => inner.RevisionInMemory;
}
