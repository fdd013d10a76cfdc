using System.Diagnostics.Metrics;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage;
using ClusterRegistry.Infrastructure.Storage.Embedded;
using ClusterRegistry.Tests.StorageContractTests.Support;

namespace ClusterRegistry.Tests.StorageContractTests.Embedded;

/// <summary>
/// The storage contract through the metrics decorator the server puts in front of every backend: timing calls must
/// not change what the port promises (errors, revisions, watches). Plus what it records.
/// </summary>
public sealed class InstrumentedStorageTests : ObjectStorageContract, IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestMeterFactory _meters = new();

    protected override async Task<IObjectStorage> CreateStorageAsync() =>
        new InstrumentedStorage(await EmbeddedStorage.OpenAsync(_dir.Path), new StorageMetrics(_meters, "clusters.clusterregistry.k8s.io", "embedded"));

    protected override Task CompactAsync(IObjectStorage storage, long revision) =>
        ((EmbeddedStorage)((InstrumentedStorage)storage).Inner).CompactAsync(revision, CancellationToken.None);

    protected override bool SlowWatchersCatchUpWithoutEnding => true;

    protected override async ValueTask DisposeStorageAsync(IObjectStorage storage)
    {
        try
        {
            await base.DisposeStorageAsync(((InstrumentedStorage)storage).Inner);
        }
        finally
        {
            _dir.Dispose();
        }
    }

    [Fact]
    public async Task Calls_AreCountedByOperationAndBackend_AndConflictsAreNotErrors()
    {
        await using var dir = new TempDirectoryAsync();
        await using var inner = await EmbeddedStorage.OpenAsync(dir.Path);
        using var meters = new TestMeterFactory();
        var storage = new InstrumentedStorage(inner, new StorageMetrics(meters, "clusters.clusterregistry.k8s.io", "embedded"));
        var counts = new List<(string Instrument, long Value, Dictionary<string, object?> Labels)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) => { if (meters.Owns(i.Meter)) l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) =>
        {
            lock (counts) counts.Add((i.Name, v, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
        });
        listener.Start();

        var rev = await storage.CreateAsync("clusters/a", "{}"u8.ToArray(), CancellationToken.None);
        await Assert.ThrowsAsync<StorageException>(async () => await storage.CreateAsync("clusters/a", "{}"u8.ToArray(), CancellationToken.None));
        await storage.GetAsync("clusters/a", CancellationToken.None);
        await storage.DeleteAsync("clusters/a", rev, CancellationToken.None);

        long Sum(string instrument, string operation) =>
            counts.Where(c => c.Instrument == instrument && (string?)c.Labels["operation"] == operation && (string?)c.Labels["backend"] == "embedded").Sum(c => c.Value);
        Assert.Equal(2, Sum("etcd_requests_total", "create"));
        Assert.Equal(1, Sum("etcd_requests_total", "get"));
        Assert.Equal(1, Sum("etcd_requests_total", "delete"));
        Assert.Equal(0, Sum("etcd_request_errors_total", "create")); // "exists" is an answer, not a failure
    }

    public void Dispose() => _meters.Dispose();

    private sealed class TempDirectoryAsync : IAsyncDisposable
    {
        private readonly TempDirectory _dir = new();
        public string Path => _dir.Path;
        public ValueTask DisposeAsync()
        {
            _dir.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>An <see cref="IMeterFactory"/> whose meters only this test listens to.</summary>
    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            lock (_meters) _meters.Add(meter);
            return meter;
        }

        public bool Owns(Meter meter)
        {
            lock (_meters) return _meters.Contains(meter);
        }

        public void Dispose()
        {
            lock (_meters) foreach (var m in _meters) m.Dispose();
        }
    }
}
