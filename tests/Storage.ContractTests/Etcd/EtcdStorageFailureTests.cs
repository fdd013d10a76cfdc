using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Etcd;
using ClusterRegistry.Tests.StorageContractTests.Support;

namespace ClusterRegistry.Tests.StorageContractTests.Etcd;

/// <summary>
/// etcd-only behaviour when the network or etcd fails: calls fail fast with Unreachable/Timeout instead of hanging,
/// and a watch whose stream breaks resumes from its last revision (or reports Expired if that was compacted meanwhile).
/// A <see cref="TcpProxy"/> between the adapter and etcd breaks, refuses or black-holes connections on demand.
/// </summary>
[Requires(Prerequisite.Docker)]
public sealed class EtcdStorageFailureTests(EtcdFixture etcd) : IClassFixture<EtcdFixture>, IAsyncLifetime
{
    private const string Prefix = "clusters/";

    /// <summary>"Within a few seconds": generous against a slow machine, far below a hang.</summary>
    private static readonly TimeSpan FailFastBound = TimeSpan.FromSeconds(15);

    private readonly TestScope _scope = new(TimeSpan.FromMinutes(5));
    private readonly string _prefix = EtcdFixture.NewPrefix();

    private CancellationToken Ct => _scope.Ct;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    private T Own<T>(T disposable) where T : IAsyncDisposable => _scope.Own(disposable);

    /// <summary>A store on this test's prefix, through <paramref name="endpoint"/> (default: etcd itself).</summary>
    private EtcdStorage Store(string? endpoint = null, TimeSpan? timeout = null) =>
        Own(etcd.CreateStorage(_prefix, endpoint, timeout));

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<(StorageException Error, TimeSpan Elapsed)> Failure(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<StorageException>(action).WaitAsync(FailFastBound);
        return (ex, clock.Elapsed);
    }

    [Fact]
    public async Task Calls_NothingListening_ThrowUnreachableQuickly()
    {
        var store = Store($"http://127.0.0.1:{UnusedPort()}");

        var failures = new[]
        {
            await Failure(async () => await store.GetAsync("clusters/a", Ct)),
            await Failure(async () => await store.CreateAsync("clusters/a", Text.Bytes("a"), Ct)),
            await Failure(async () => await store.UpdateAsync("clusters/a", Text.Bytes("a"), 5, Ct)),
            await Failure(async () => await store.DeleteAsync("clusters/a", 5, Ct)),
            await Failure(async () => await store.ListAsync(Prefix, new ListRange(Limit: 10), Ct)),
            await Failure(async () => await store.CurrentRevisionAsync(Ct)),
            await Failure(async () =>
            {
                await foreach (var _ in store.WatchAsync(Prefix, 0, Ct)) { }
            }),
        };

        Assert.All(failures, f => Assert.Equal(StorageErrorCode.Unreachable, f.Error.Code));
        Assert.Equal("clusters/a", failures[1].Error.Key);
    }

    [Fact]
    public async Task Calls_EtcdHangs_ThrowTimeoutAtTheDeadline()
    {
        var proxy = Own(new TcpProxy(etcd.Endpoint) { Mode = ProxyMode.Blackhole });
        var store = Store(proxy.Endpoint, TimeSpan.FromSeconds(2));

        var get = await Failure(async () => await store.GetAsync("clusters/a", Ct));
        var create = await Failure(async () => await store.CreateAsync("clusters/a", Text.Bytes("a"), Ct));
        var watch = await Failure(async () =>
        {
            await foreach (var _ in store.WatchAsync(Prefix, 0, Ct)) { }
        });

        Assert.Equal(StorageErrorCode.Timeout, get.Error.Code);
        Assert.Equal(StorageErrorCode.Timeout, create.Error.Code);
        Assert.Contains(watch.Error.Code, new[] { StorageErrorCode.Timeout, StorageErrorCode.Unreachable });
        Assert.True(get.Elapsed >= TimeSpan.FromSeconds(1.5), $"gave up after {get.Elapsed} before the 2 s deadline");
    }

    [Fact]
    public async Task Calls_AfterConnectionsDropped_Reconnect()
    {
        var proxy = Own(new TcpProxy(etcd.Endpoint));
        var store = Store(proxy.Endpoint);
        var created = await store.CreateAsync("clusters/a", Text.Bytes("a1"), Ct);

        proxy.DropAll();

        // A read may be retried transparently; a write may fail once (it is never retried blindly), then works.
        Assert.Equal(created, (await store.GetAsync("clusters/a", Ct))?.Revision);
        long updated;
        try
        {
            updated = await store.UpdateAsync("clusters/a", Text.Bytes("a2"), created, Ct);
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.Unreachable)
        {
            updated = await store.UpdateAsync("clusters/a", Text.Bytes("a2"), created, Ct);
        }
        Assert.Equal(updated, await store.CurrentRevisionAsync(Ct));
    }

    [Fact]
    public async Task Watch_ConnectionDropped_ResumesWithoutGapsOrDuplicates()
    {
        var proxy = Own(new TcpProxy(etcd.Endpoint));
        var watched = Store(proxy.Endpoint);
        var rec = new Recorder(Store(), Ct);
        var start = await watched.CurrentRevisionAsync(Ct);
        await using var reader = new WatchReader(watched, Prefix, start);

        var expected = 0;
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < 7; i++) await rec.StepAsync(Prefix, 5, round * 7 + i);
            // Read part of what was written, then break every connection while the rest is in flight.
            Assert.Equal(rec.Events.Skip(expected).Take(3).ToList(), (await reader.ReadAsync(3)).Select(Ev.From).ToList());
            expected += 3;
            proxy.DropAll();
            for (var i = 0; i < 3; i++) await rec.StepAsync(Prefix, 5, 1000 + round * 3 + i);
            var rest = rec.Events.Count - expected;
            Assert.Equal(rec.Events.Skip(expected).ToList(), (await reader.ReadAsync(rest)).Select(Ev.From).ToList());
            expected = rec.Events.Count;
        }

        // Nothing duplicated after the last event: the next one is the next write.
        await rec.CreateAsync("clusters/sentinel", "end");
        Assert.Equal(rec.Events[^1], Ev.From(await reader.NextAsync()));
    }

    [Fact]
    public async Task Watch_CompactedWhileDisconnected_ThrowsExpired()
    {
        var proxy = Own(new TcpProxy(etcd.Endpoint));
        var watched = Store(proxy.Endpoint, TimeSpan.FromSeconds(10));
        var direct = Store();
        var rec = new Recorder(direct, Ct);
        var start = await direct.CurrentRevisionAsync(Ct);
        await rec.CreateAsync("clusters/a", "a1");
        await using var reader = new WatchReader(watched, Prefix, start);
        Assert.Equal(rec.Events[0], Ev.From(await reader.NextAsync()));

        // etcd goes away for the watcher; meanwhile the history it still needs is compacted.
        proxy.Mode = ProxyMode.Refuse;
        proxy.DropAll();
        for (var i = 0; i < 5; i++) await rec.StepAsync(Prefix, 3, i);
        var compactAt = rec.Events[^2].Revision;
        await direct.CompactAsync(compactAt, Ct);
        proxy.Mode = ProxyMode.Forward;

        var ex = await Assert.ThrowsAsync<StorageException>(async () =>
        {
            // A gap-free prefix of what it missed may still arrive (etcd can serve it while it holds the history)…
            for (var i = 1; i < rec.Events.Count; i++)
                Assert.Equal(rec.Events[i], Ev.From(await reader.NextAsync()));
            // …but not everything: the watch ends with Expired at the latest once it needs compacted history.
            await reader.NextAsync(TimeSpan.FromSeconds(5));
        });
        Assert.Equal(StorageErrorCode.Expired, ex.Code);
        Assert.True(ex.CurrentRevision >= compactAt, $"Expired carries {ex.CurrentRevision}, compacted at {compactAt}");
    }

    [Fact]
    public async Task Watch_EtcdGoneForGood_ThrowsUnreachable()
    {
        var proxy = Own(new TcpProxy(etcd.Endpoint));
        var watched = Store(proxy.Endpoint, TimeSpan.FromSeconds(2));
        var rec = new Recorder(Store(), Ct);
        var start = await watched.CurrentRevisionAsync(Ct);
        await rec.CreateAsync("clusters/a", "a1");
        await using var reader = new WatchReader(watched, Prefix, start);
        Assert.Equal(rec.Events[0], Ev.From(await reader.NextAsync()));

        proxy.Mode = ProxyMode.Refuse;
        proxy.DropAll();

        var (error, _) = await Failure(async () => await reader.NextAsync());
        Assert.Equal(StorageErrorCode.Unreachable, error.Code);
    }

    [Fact]
    public async Task Calls_OneOfTwoServersDown_AreServedByTheOther()
    {
        var options = etcd.Options(_prefix);
        options.Servers = [$"http://127.0.0.1:{UnusedPort()}", etcd.Endpoint];
        var store = Own(new EtcdStorage(options));
        var start = await store.CurrentRevisionAsync(Ct);
        await using var reader = new WatchReader(store, Prefix, start);
        reader.BeginNext();

        var revisions = new List<long>();
        for (var i = 0; i < 10; i++) revisions.Add(await store.CreateAsync($"clusters/k{i}", Text.Bytes($"v{i}"), Ct));

        Assert.Equal(10, (await store.ListAsync(Prefix, new ListRange(), Ct)).Items.Count);
        Assert.Equal(revisions, (await reader.ReadAsync(10)).Select(e => e.Revision).ToList());
    }
}
