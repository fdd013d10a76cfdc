using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Caching;
using ClusterRegistry.Infrastructure.Storage.Embedded;
using ClusterRegistry.Tests.StorageContractTests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClusterRegistry.Tests.StorageContractTests.Caching;

/// <summary>What the watch cache adds to the contract, over the embedded store: its window and its per-watcher bound.</summary>
public sealed class WatchCacheBehaviourTests : IAsyncLifetime
{
    private const string Prefix = "clusters/";
    private readonly TempDirectory _dir = new();
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromMinutes(2));
    private EmbeddedStorage _store = null!;

    private CancellationToken Ct => _cts.Token;

    public async Task InitializeAsync() => _store = await EmbeddedStorage.OpenAsync(_dir.Path);

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
        _cts.Dispose();
    }

    private async Task<CachedStorage> CacheAsync(WatchCacheOptions options, IObjectStorage? inner = null)
    {
        var cache = CachedStorage.Start(inner ?? _store, Prefix, options, NullLogger.Instance);
        await cache.WhenReadyAsync(Ct);
        return cache;
    }

    /// <summary>
    /// A get bounded by a revision is answered from memory once the cache holds that revision, even when the store has
    /// moved on (a write the cache has not seen yet); bounded by a revision the cache does not hold, it never answers
    /// the older state: it reads the store.
    /// </summary>
    [Fact]
    public async Task GetNotOlderThan_AnsweredFromMemory_AndNeverOlderThanAsked()
    {
        var created = await _store.CreateAsync("clusters/a", Text.Bytes("one"), Ct);
        // The cache lists the store, then hears of no later write during the test.
        await using var cache = await CacheAsync(new WatchCacheOptions(),
            new LaggingUpstreamStorage(_store, lag: TimeSpan.FromHours(1), revisionLag: TimeSpan.Zero));
        var updated = await _store.UpdateAsync("clusters/a", Text.Bytes("two"), created, Ct);

        var recent = await cache.GetAsync("clusters/a", created, Ct);
        Assert.Equal(("one", created), (Text.Of(recent!.Value), recent.Revision));
        var newer = await cache.GetAsync("clusters/a", updated, Ct);
        Assert.Equal(("two", updated), (Text.Of(newer!.Value), newer.Revision));
    }

    /// <summary>
    /// An upstream that falls behind the store by more than the consistent-read wait: the first read waits in vain and
    /// reads the store; those after it read the store at once, without asking for a revision or waiting again (each
    /// used to wait the whole bound: a loaded host served each client one read a second); every read is current; once
    /// the upstream has delivered the write, reads come from memory again.
    /// </summary>
    [Fact]
    public async Task UpstreamBehindPastTheWait_LaterConsistentReadsGoToTheStoreAtOnce_UntilItCatchesUp()
    {
        var created = await _store.CreateAsync("clusters/a", Text.Bytes("one"), Ct);
        var lagging = new LaggingUpstreamStorage(_store, lag: TimeSpan.FromSeconds(10), revisionLag: TimeSpan.Zero);
        await using var cache = await CacheAsync(new WatchCacheOptions { ConsistentReadWait = TimeSpan.FromMilliseconds(100) }, lagging);
        await using var watch = new WatchReader(cache, Prefix, created);
        var updated = await _store.UpdateAsync("clusters/a", Text.Bytes("two"), created, Ct);

        for (var i = 0; i < 10; i++)
        {
            var got = await cache.GetAsync("clusters/a", Ct);
            Assert.Equal(("two", updated), (Text.Of(got!.Value), got.Revision));
        }
        Assert.Equal(1, lagging.RevisionCalls);

        var modified = await watch.NextAsync();
        Assert.Equal(updated, modified.Revision);
        Assert.Same(modified.Object, await cache.GetAsync("clusters/a", Ct));
        Assert.Equal(2, lagging.RevisionCalls);
    }

    [Fact]
    public async Task SlowWatcher_IsEnded_WhileAReadingWatcherGetsEveryEventAndWritesGoOn()
    {
        await using var cache = await CacheAsync(new WatchCacheOptions { WatcherBuffer = 16 });
        var start = await cache.CurrentRevisionAsync(Ct);
        var rec = new Recorder(cache, Ct);
        await using var slow = new WatchReader(cache, Prefix, start);
        await using var reading = new WatchReader(cache, Prefix, start);
        await rec.CreateAsync("clusters/first", "first");
        // Both watches are established (each delivered the first event); then one stops reading.
        Assert.Equal(rec.Events[0], Ev.From(await slow.NextAsync()));
        Assert.Equal(rec.Events[0], Ev.From(await reading.NextAsync()));

        var got = new List<Ev>();
        for (var i = 0; i < 200; i++)
        {
            await rec.StepAsync(Prefix, 10, i);
            got.Add(Ev.From(await reading.NextAsync()));
        }
        Assert.Equal(rec.Events.Skip(1).ToList(), got);

        // The slow watcher holds at most its buffer, a gap-free prefix of the events, and then its stream ends.
        var buffered = new List<Ev>();
        while (await slow.NextOrEndAsync(TimeSpan.FromSeconds(10)) is { } e) buffered.Add(Ev.From(e));
        Assert.InRange(buffered.Count, 1, 16);
        Assert.Equal(rec.Events.Skip(1).Take(buffered.Count).ToList(), buffered);
    }

    /// <summary>
    /// A watcher waiting for its next event whose watch is cancelled (its client left) ends at once, not when the next
    /// event wakes it: until it ends it stays subscribed and holds its queue. The others go on.
    /// </summary>
    [Fact]
    public async Task WaitingWatcher_WhoseWatchIsCancelled_EndsWithoutAnotherEvent_AndOthersGoOn()
    {
        await using var cache = await CacheAsync(new WatchCacheOptions());
        var start = await cache.CurrentRevisionAsync(Ct);
        var rec = new Recorder(cache, Ct);
        await using var leaving = new WatchReader(cache, Prefix, start);
        await using var reading = new WatchReader(cache, Prefix, start);
        await rec.CreateAsync("clusters/first", "first");
        Assert.Equal(rec.Events[0], Ev.From(await leaving.NextAsync()));
        Assert.Equal(rec.Events[0], Ev.From(await reading.NextAsync()));

        leaving.BeginNext();
        leaving.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving.NextOrEndAsync());

        await rec.CreateAsync("clusters/second", "second");
        Assert.Equal(rec.Events[1], Ev.From(await reading.NextAsync()));
    }

    [Fact]
    public async Task WatchFromBeforeTheWindow_IsExpired_AndFromInsideItReplaysEveryLaterEvent()
    {
        await using var cache = await CacheAsync(new WatchCacheOptions { WindowEvents = 8 });
        var rec = new Recorder(cache, Ct);
        for (var i = 0; i < 40; i++) await rec.StepAsync(Prefix, 5, i);
        // Every event is applied once a consistent read has seen the last write.
        Assert.Equal(rec.Events[^1].Revision, (await cache.ListAsync(Prefix, new ListRange(), Ct)).Revision);

        var tooOld = await Assert.ThrowsAsync<StorageException>(async () =>
        {
            await using var reader = new WatchReader(cache, Prefix, rec.Events[0].Revision);
            await reader.NextAsync();
        });
        Assert.Equal(StorageErrorCode.Expired, tooOld.Code);
        Assert.True(tooOld.CurrentRevision > rec.Events[0].Revision, "Expired names the oldest revision still available");

        var from = rec.Events[^6].Revision;
        await using var recent = new WatchReader(cache, Prefix, from);
        Assert.Equal(rec.Events.TakeLast(5).ToList(), (await recent.ReadAsync(5)).Select(Ev.From).ToList());
    }

    [Fact]
    public async Task ListAtARevisionOfTheWindow_IsTheStateThen_AndBeforeTheWindowComesFromTheStore()
    {
        var store = new ListCountingStorage(_store);
        await using var cache = await CacheAsync(new WatchCacheOptions { WindowEvents = 8 }, store);
        var rec = new Recorder(cache, Ct);
        for (var i = 0; i < 30; i++) await rec.StepAsync(Prefix, 4, i);
        await cache.ListAsync(Prefix, new ListRange(), Ct);

        // Before the window: the store answers. Inside it: the cache itself, from its window, without asking the store.
        foreach (var (at, fromStore) in new[] { (rec.Events[2].Revision, true), (rec.Events[^5].Revision, false), (rec.Events[^1].Revision, false) })
        {
            var cached = await cache.ListAsync(Prefix, new ListRange(Revision: at), Ct);
            Assert.Equal(fromStore, store.Lists.Contains(at));
            var stored = await _store.ListAsync(Prefix, new ListRange(Revision: at), Ct);
            Assert.Equal(stored.Revision, cached.Revision);
            Assert.Equal(stored.Items.Select(o => (o.Key, Text.Of(o.Value), o.Revision)), cached.Items.Select(o => (o.Key, Text.Of(o.Value), o.Revision)));
        }
        // The state at a revision of the window differs from the latest one (the test above compares something).
        var latest = await _store.ListAsync(Prefix, new ListRange(), Ct);
        var earlier = await cache.ListAsync(Prefix, new ListRange(Revision: rec.Events[^5].Revision), Ct);
        Assert.NotEqual(latest.Items.Select(o => o.Revision), earlier.Items.Select(o => o.Revision));
    }

    /// <summary>
    /// The cache keeps only the state at its window's start and the latest one, and rebuilds the others from the
    /// window's events (ADR-026): over a window trimmed several times and then compacted, the list at every revision it
    /// still answers is the store's list at that revision, and none of them comes from the store.
    /// </summary>
    [Fact]
    public async Task ListAtEveryRevisionOfALongWindow_IsTheStoresStateThen_AcrossTrimsAndCompaction()
    {
        var store = new ListCountingStorage(_store);
        await using var cache = await CacheAsync(new WatchCacheOptions { WindowEvents = 150 }, store);
        var rec = new Recorder(cache, Ct);
        for (var i = 0; i < 400; i++) await rec.StepAsync(Prefix, 7, i);
        await cache.ListAsync(Prefix, new ListRange(), Ct);

        async Task SameAsStoreAsync(IEnumerable<Ev> events)
        {
            foreach (var at in events.Select(e => e.Revision))
            {
                var cached = await cache.ListAsync(Prefix, new ListRange(Revision: at), Ct);
                Assert.False(store.Lists.Contains(at), $"the list at {at} came from the store");
                var stored = await _store.ListAsync(Prefix, new ListRange(Revision: at), Ct);
                Assert.Equal(stored.Items.Select(o => (o.Key, Text.Of(o.Value), o.Revision)), cached.Items.Select(o => (o.Key, Text.Of(o.Value), o.Revision)));
            }
        }

        // 400 writes trimmed the window to its last 150 events or so; pages of a list read one revision more than once.
        await SameAsStoreAsync(rec.Events.TakeLast(150));
        await SameAsStoreAsync(rec.Events.TakeLast(150).Reverse());

        var compactAt = rec.Events[^40].Revision;
        await _store.CompactAsync(compactAt, Ct);
        cache.Compacted(compactAt);
        await SameAsStoreAsync(rec.Events.TakeLast(39));
    }

    /// <summary>
    /// Encode once rests on this: the cache hands every reader of a version the same <see cref="StoredObject"/> — GET,
    /// LIST and the watch event that brought it — so its decoded form (<see cref="StoredObject.Decoded{T}"/>) is made
    /// once; a delete's event carries the last state at the delete's revision; a new version is a new instance.
    /// </summary>
    [Fact]
    public async Task EveryReaderOfAVersion_SharesOneStoredObject_AndANewVersionIsANewOne()
    {
        await using var cache = await CacheAsync(new WatchCacheOptions());
        var start = await cache.CurrentRevisionAsync(Ct);
        await using var watch = new WatchReader(cache, Prefix, start);
        var created = await cache.CreateAsync("clusters/a", Text.Bytes("one"), Ct);

        var added = await watch.NextAsync();
        var got = await cache.GetAsync("clusters/a", Ct);
        var listed = Assert.Single((await cache.ListAsync(Prefix, new ListRange(), Ct)).Items);
        Assert.Same(added.Object, got);
        Assert.Same(got, listed);
        var decodes = 0;
        var decoded = got!.Decoded(s => new object[] { ++decodes, Text.Of(s.Value) });
        Assert.Same(decoded, listed.Decoded<object[]>(_ => throw new InvalidOperationException("decoded twice")));

        var updated = await cache.UpdateAsync("clusters/a", Text.Bytes("two"), created, Ct);
        var modified = await watch.NextAsync();
        var latest = await cache.GetAsync("clusters/a", Ct);
        Assert.Same(modified.Object, latest);
        Assert.NotSame(got, latest);
        Assert.Equal(("two", updated), (Text.Of(latest!.Value), latest.Revision));
        Assert.Equal(new object[] { 2, "two" }, latest.Decoded(s => new object[] { ++decodes, Text.Of(s.Value) }));

        var deletedAt = await cache.DeleteAsync("clusters/a", updated, Ct);
        var deleted = await watch.NextAsync();
        Assert.Equal(StorageEventType.Deleted, deleted.Type);
        Assert.Equal(("two", deletedAt), (Text.Of(deleted.Object!.Value), deleted.Object.Revision));
        Assert.Null(await cache.GetAsync("clusters/a", Ct));
    }

    /// <summary>
    /// Selector watchers decide Added/Modified/Deleted on the state before each write: every watcher of one event gets
    /// the same previous <see cref="StoredObject"/> (at the event's revision, as a watcher the object leaves reports it),
    /// so thousands of them decode it once; a delete reports that same instance.
    /// </summary>
    [Fact]
    public async Task EveryWatcherOfAnEvent_SharesOnePreviousState_AtTheEventsRevision()
    {
        await using var cache = await CacheAsync(new WatchCacheOptions());
        var created = await cache.CreateAsync("clusters/a", Text.Bytes("one"), Ct);
        await using var first = new WatchReader(cache, Prefix, created);
        await using var second = new WatchReader(cache, Prefix, created);

        var updated = await cache.UpdateAsync("clusters/a", Text.Bytes("two"), created, Ct);
        var (a, b) = (await first.NextAsync(), await second.NextAsync());
        Assert.NotNull(a.PrevObject);
        Assert.Same(a.PrevObject, b.PrevObject);
        Assert.Same(a.PrevObject, a.Previous());
        Assert.Equal(("one", updated), (Text.Of(a.PrevObject.Value), a.PrevObject.Revision));

        await cache.DeleteAsync("clusters/a", updated, Ct);
        var (c, d) = (await first.NextAsync(), await second.NextAsync());
        Assert.Same(c.PrevObject, d.PrevObject);
        Assert.Same(c.Object, c.PrevObject);
        Assert.Equal("two", Text.Of(c.PrevObject!.Value));
    }
}
