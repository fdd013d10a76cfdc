using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Caching;
using ClusterRegistry.Infrastructure.Storage.Etcd;
using ClusterRegistry.Tests.StorageContractTests.Etcd;
using ClusterRegistry.Tests.StorageContractTests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClusterRegistry.Tests.StorageContractTests.Caching;

/// <summary>
/// The watch cache over a real etcd shared with another writer (another replica): its consistent reads see every
/// write acknowledged anywhere, and an outage with compaction meanwhile never lets it answer a consistent read stale.
/// </summary>
[Requires(Prerequisite.Docker)]
public sealed class WatchCacheEtcdTests(EtcdFixture etcd) : IClassFixture<EtcdFixture>, IAsyncLifetime
{
    private const string Prefix = "clusters/";
    private readonly TestScope _scope = new(TimeSpan.FromMinutes(3));

    private CancellationToken Ct => _scope.Ct;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    private T Own<T>(T disposable) where T : IAsyncDisposable => _scope.Own(disposable);

    private async Task<CachedStorage> CacheAsync(EtcdStorage store, WatchCacheOptions? options = null)
    {
        var cache = Own(CachedStorage.Start(store, Prefix, options ?? new WatchCacheOptions(), NullLogger.Instance));
        await cache.WhenReadyAsync(Ct);
        return cache;
    }

    [Fact]
    public async Task WriteThroughAnotherReplica_IsSeenAtOnceByConsistentGetAndList()
    {
        var prefix = EtcdFixture.NewPrefix();
        var other = Own(etcd.CreateStorage(prefix));
        var cache = await CacheAsync(Own(etcd.CreateStorage(prefix)));

        var revision = await other.CreateAsync("clusters/a", Text.Bytes("0"), Ct);
        for (var i = 1; i <= 50; i++)
        {
            revision = await other.UpdateAsync("clusters/a", Text.Bytes(i.ToString()), revision, Ct);
            var got = await cache.GetAsync("clusters/a", Ct);
            Assert.Equal((i.ToString(), revision), (Text.Of(got!.Value), got.Revision));
            var page = await cache.ListAsync(Prefix, new ListRange(), Ct);
            Assert.True(page.Revision >= revision, $"list at {page.Revision} after a write at {revision}");
            Assert.Equal(i.ToString(), Text.Of(Assert.Single(page.Items).Value));
        }
    }

    [Fact]
    public async Task UpdateAndDelete_ReportThePreviousStateTheCacheHolds_NotASecondCopyFromEtcd()
    {
        var prefix = EtcdFixture.NewPrefix();
        var other = Own(etcd.CreateStorage(prefix));
        var cache = await CacheAsync(Own(etcd.CreateStorage(prefix)));
        await using var reader = new WatchReader(cache, Prefix, await other.CurrentRevisionAsync(Ct));

        var created = await other.CreateAsync("clusters/a", Text.Bytes("a1"), Ct);
        var updated = await other.UpdateAsync("clusters/a", Text.Bytes("a2"), created, Ct);
        var deleted = await other.DeleteAsync("clusters/a", updated, Ct);
        var events = await reader.ReadAsync(3);

        Assert.Equal(
            [
                new Ev(StorageEventType.Added, "clusters/a", "a1", null, created),
                new Ev(StorageEventType.Modified, "clusters/a", "a2", "a1", updated),
                new Ev(StorageEventType.Deleted, "clusters/a", null, "a2", deleted),
            ],
            events.Select(Ev.From).ToList());
        // The window keeps one copy of each version: the state before a write is the bytes of the version before it,
        // as the cache holds them, not a copy etcd looked up and sent beside the event.
        Assert.True(SameBytes(events[0].Value, events[1].PrevValue), "the update's previous state is a second copy");
        Assert.True(SameBytes(events[1].Value, events[2].PrevValue), "the delete's previous state is a second copy");
    }

    private static bool SameBytes(ReadOnlyMemory<byte>? a, ReadOnlyMemory<byte>? b) =>
        a is { } x && b is { } y && x.Length == y.Length && x.Span.Overlaps(y.Span, out var offset) && offset == 0;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task BurstOfConsistentReads_WhileAnotherReplicaWrites_EachReadSeesEveryWriteAcknowledgedBeforeItBegan(int callsInFlight)
    {
        var prefix = EtcdFixture.NewPrefix();
        var other = Own(etcd.CreateStorage(prefix));
        // The cache learns of each write 100 ms after etcd sent it, and of the revision 30 ms after etcd answered: a
        // read must wait for the write it follows, not take the older state.
        var counting = new LaggingUpstreamStorage(Own(etcd.CreateStorage(prefix)), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(30));
        var cache = Own(CachedStorage.Start(counting, Prefix, new WatchCacheOptions { RevisionCallsInFlight = callsInFlight }, NullLogger.Instance));
        await cache.WhenReadyAsync(Ct);

        // Readers share revision calls; one that joined a call sent before a write's acknowledgement could be served
        // the cache's state from before that write, which the upstream watch has not delivered yet.
        var acknowledged = await other.CreateAsync("clusters/a", Text.Bytes("0"), Ct);
        var writing = true;
        var reads = 0;
        var readers = Enumerable.Range(0, 24).Select(_ => Task.Run(async () =>
        {
            while (Volatile.Read(ref writing))
            {
                // Readers that begin at scattered times, not in waves that each start a call of their own.
                await Task.Delay(Random.Shared.Next(40), Ct);
                var floor = Volatile.Read(ref acknowledged);
                var got = await cache.GetAsync("clusters/a", Ct);
                Assert.True(got!.Revision >= floor, $"a read begun after the write at {floor} returned {got.Revision}");
                var page = await cache.ListAsync(Prefix, new ListRange(), Ct);
                Assert.True(page.Revision >= floor, $"a list begun after the write at {floor} was at {page.Revision}");
                Interlocked.Add(ref reads, 2);
            }
        })).ToList();
        try
        {
            for (var i = 1; i <= 100; i++)
                Volatile.Write(ref acknowledged, await other.UpdateAsync("clusters/a", Text.Bytes(i.ToString()), acknowledged, Ct));
        }
        finally
        {
            Volatile.Write(ref writing, false);
        }
        await Task.WhenAll(readers);

        // Concurrent reads share calls, with a bound on those under way at once.
        Assert.True(counting.MostRevisionCallsAtOnce <= callsInFlight, $"{counting.MostRevisionCallsAtOnce} revision calls at once");
        Assert.True(counting.RevisionCalls < reads, $"{counting.RevisionCalls} revision calls for {reads} reads");
    }

    [Fact]
    public async Task OutageWithCompactionMeanwhile_ConsistentReadsFailOrAreCurrent_AndTheCacheListsAgain()
    {
        var prefix = EtcdFixture.NewPrefix();
        var other = Own(etcd.CreateStorage(prefix));
        var proxy = Own(new TcpProxy(etcd.Endpoint));
        var behind = Own(new EtcdStorage(etcd.Options(prefix, proxy.Endpoint, TimeSpan.FromSeconds(2))));
        var cache = await CacheAsync(behind, new WatchCacheOptions { RetryDelay = TimeSpan.FromMilliseconds(100) });

        var before = await other.CreateAsync("clusters/a", Text.Bytes("before"), Ct);
        Assert.Equal("before", Text.Of((await cache.GetAsync("clusters/a", Ct))!.Value));
        await using var open = new WatchReader(cache, Prefix, before);

        // The replica loses etcd; the other one writes on and compacts past everything the cache has seen.
        proxy.Mode = ProxyMode.Refuse;
        proxy.DropAll();
        var after = before;
        for (var i = 0; i < 5; i++) after = await other.UpdateAsync("clusters/a", Text.Bytes($"after-{i}"), after, Ct);
        await other.CompactAsync(after - 1, Ct);

        var failed = await Assert.ThrowsAsync<StorageException>(async () => await cache.GetAsync("clusters/a", Ct));
        Assert.True(failed.Code is StorageErrorCode.Unreachable or StorageErrorCode.Timeout, $"{failed.Code}: {failed.Message}");
        // A watch of the cache ends with the store's failure when its upstream breaks (the handler reports it as the
        // stream's last event and logs it); its client re-watches and learns of the gap then.
        var ended = await Assert.ThrowsAsync<StorageException>(async () => await open.NextOrEndAsync(TimeSpan.FromSeconds(30)));
        Assert.True(ended.Code is StorageErrorCode.Unreachable or StorageErrorCode.Timeout, $"{ended.Code}: {ended.Message}");

        proxy.Mode = ProxyMode.Forward;
        var current = await cache.GetAsync("clusters/a", Ct);
        Assert.Equal(("after-4", after), (Text.Of(current!.Value), current.Revision));

        // Once the cache has listed again it answers from memory with the new state, and a watch from before the
        // gap is Expired instead of silently skipping the compacted events.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        StorageException? expired = null;
        while (expired is null && DateTime.UtcNow < deadline)
        {
            await using var reader = new WatchReader(cache, Prefix, before);
            try
            {
                var e = await reader.NextOrEndAsync(TimeSpan.FromSeconds(2));
                Assert.True(e is null, $"a watch from {before} delivered {e?.Revision} across the compacted gap");
            }
            catch (StorageException e)
            {
                expired = e;
            }
            catch (TimeoutException)
            {
                // Not listed again yet: the watch waits for events the cache does not have; try again.
            }
        }
        Assert.Equal(StorageErrorCode.Expired, expired?.Code);
        var listed = await cache.ListAsync(Prefix, new ListRange(NotOlderThan: 0), Ct);
        Assert.True(listed.Revision >= after);
        Assert.Equal("after-4", Text.Of(Assert.Single(listed.Items).Value));
    }
}
