using ClusterRegistry.Application.Clusters.Queries.ListClusters;
using ClusterRegistry.Application.Clusters.Queries.WatchClusters;
using ClusterRegistry.Domain.Meta;
using ClusterRegistry.Tests.ApplicationTests.Support;

namespace ClusterRegistry.Tests.ApplicationTests.Watch;

/// <summary>
/// Where a watch starts (WatchClustersHandler, kube-apiserver's semantics): unset or "0" sends the current state as
/// ADDED, then live changes; a resourceVersion N sends only what changed after N; an N older than the history kept
/// is one 410 ERROR; an N the store has not reached waits for it, then 504.
/// </summary>
public sealed class WatchStartTests
{
    [Fact]
    public async Task Unset_SendsCurrentStateAsAdded_ThenLiveChanges()
    {
        await using var app = await ApplicationHost.StartAsync();
        var a = await app.CreateAsync(Clusters.New("a"));
        var b = await app.CreateAsync(Clusters.New("b"));
        await using var watch = new WatchReader(app, new ListParameters());

        var initial = await watch.InitialAsync();
        var c = await app.CreateAsync(Clusters.New("c"));
        var a2 = await app.MergePatchAsync("a", """{"metadata":{"labels":{"env":"prod"}}}""");
        await app.DeleteAsync("b");

        Assert.Equal([("ADDED", "a", a.Metadata.ResourceVersion), ("ADDED", "b", b.Metadata.ResourceVersion)], initial.Select(Describe));
        Assert.Equal(("ADDED", "c", c.Metadata.ResourceVersion), Describe(await watch.NextAsync()));
        Assert.Equal(("MODIFIED", "a", a2.Metadata.ResourceVersion), Describe(await watch.NextAsync()));
        var deleted = await watch.NextAsync();
        Assert.Equal(("DELETED", "b"), (deleted.Type, deleted.Object!.Object.Metadata.Name));
        Assert.Equal((await app.RevisionAsync()).ToString(), deleted.Object.Object.Metadata.ResourceVersion);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Zero_SendsCurrentStateAsAdded_ThenLiveChanges(bool watchCache)
    {
        await using var app = await ApplicationHost.StartAsync(watchCache);
        var a = await app.CreateAsync(Clusters.New("a"));
        // "0" takes any state the cache holds; a consistent read first makes sure that state includes "a".
        await app.GetAsync("a");
        await using var watch = new WatchReader(app, new ListParameters(ResourceVersion: "0"));

        var initial = await watch.InitialAsync();
        var b = await app.CreateAsync(Clusters.New("b"));

        Assert.Equal([("ADDED", "a", a.Metadata.ResourceVersion)], initial.Select(Describe));
        Assert.Equal(("ADDED", "b", b.Metadata.ResourceVersion), Describe(await watch.NextAsync()));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SpecificResourceVersion_SendsOnlyLaterChanges(bool watchCache)
    {
        await using var app = await ApplicationHost.StartAsync(watchCache);
        await app.CreateAsync(Clusters.New("a"));
        var b = await app.CreateAsync(Clusters.New("b"));
        var a2 = await app.MergePatchAsync("a", """{"metadata":{"labels":{"env":"prod"}}}""");
        await using var watch = new WatchReader(app, new ListParameters(ResourceVersion: b.Metadata.ResourceVersion));

        Assert.Same(ClusterWatchEvent.Started, await watch.NextAsync());
        Assert.Same(ClusterWatchEvent.Live, await watch.NextAsync());
        // Neither a's nor b's creation (at or before N): the first change after N, then live ones.
        Assert.Equal(("MODIFIED", "a", a2.Metadata.ResourceVersion), Describe(await watch.NextAsync()));
        var c = await app.CreateAsync(Clusters.New("c"));
        Assert.Equal(("ADDED", "c", c.Metadata.ResourceVersion), Describe(await watch.NextAsync()));
    }

    [Fact]
    public async Task OlderThanTheWatchCacheWindow_IsOne410Error()
    {
        await using var app = await ApplicationHost.StartAsync(windowEvents: 2);
        var first = await app.CreateAsync(Clusters.New("a"));
        for (var i = 0; i < 4; i++) await app.MergePatchAsync("a", $$"""{"metadata":{"labels":{"n":"{{i}}"} } }""");
        await app.GetAsync("a");

        await AssertExpiredAsync(app, first.Metadata.ResourceVersion!);
    }

    [Fact]
    public async Task OlderThanTheStoreHistory_WithoutWatchCache_IsOne410Error()
    {
        await using var app = await ApplicationHost.StartAsync(watchCache: false);
        var first = await app.CreateAsync(Clusters.New("a"));
        await app.MergePatchAsync("a", """{"metadata":{"labels":{"env":"prod"}}}""");
        var latest = await app.MergePatchAsync("a", """{"metadata":{"labels":{"env":"test"}}}""");
        // History before the latest revision is gone: the change right after the first one is no longer there.
        await app.Embedded.CompactAsync(long.Parse(latest.Metadata.ResourceVersion!), CancellationToken.None);

        await AssertExpiredAsync(app, first.Metadata.ResourceVersion!);
    }

    [Fact]
    public async Task FutureResourceVersion_ReachedWhileWaiting_StartsThere()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a"));
        var next = (await app.RevisionAsync() + 1).ToString();
        await using var watch = new WatchReader(app, new ListParameters(ResourceVersion: next));

        var started = watch.NextAsync();
        var b = await app.CreateAsync(Clusters.New("b"));
        Assert.Equal(next, b.Metadata.ResourceVersion);
        Assert.Same(ClusterWatchEvent.Started, await started);
        Assert.Same(ClusterWatchEvent.Live, await watch.NextAsync());
        var c = await app.CreateAsync(Clusters.New("c"));

        // b is at N itself, so not after it.
        Assert.Equal(("ADDED", "c", c.Metadata.ResourceVersion), Describe(await watch.NextAsync()));
    }

    [Fact]
    public async Task FutureResourceVersion_NeverReached_Is504TooLargeResourceVersion()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a"));
        var current = await app.RevisionAsync();
        await using var watch = new WatchReader(app, new ListParameters(ResourceVersion: (current + 100).ToString()));

        var e = await Assert.ThrowsAsync<ApiStatusException>(watch.NextAsync);

        Assert.Equal((504, "Timeout"), (e.Code, e.Reason));
        Assert.Equal($"Too large resource version: {current + 100}, current: {current}", e.Message);
    }

    [Fact]
    public async Task InvalidResourceVersion_Is400FromTheValidationBehaviour()
    {
        await using var app = await ApplicationHost.StartAsync();
        await using var watch = new WatchReader(app, new ListParameters(ResourceVersion: "abc"));

        var e = await Assert.ThrowsAsync<ApiStatusException>(watch.NextAsync);

        Assert.Equal((400, "invalid resource version: abc"), (e.Code, e.Message));
    }

    [Fact]
    public async Task SendInitialEvents_WithBookmarks_EndsTheInitialEventsWithAnAnnotatedBookmark()
    {
        await using var app = await ApplicationHost.StartAsync();
        var a = await app.CreateAsync(Clusters.New("a"));
        await using var watch = new WatchReader(app, new ListParameters(ResourceVersionMatch: "NotOlderThan",
            AllowWatchBookmarks: true, SendInitialEvents: true));

        var initial = await watch.InitialAsync();

        Assert.Equal(2, initial.Count);
        Assert.Equal(("ADDED", "a", a.Metadata.ResourceVersion), Describe(initial[0]));
        Assert.Equal("BOOKMARK", initial[1].Type);
        Assert.Equal(a.Metadata.ResourceVersion, initial[1].Object!.Object.Metadata.ResourceVersion);
        Assert.Equal("true", initial[1].Object!.Object.Metadata.Annotations![WatchClustersHandler.InitialEventsEndAnnotation]);
    }

    [Fact]
    public async Task IdleWatchWithBookmarks_ReportsProgress_AndOneWithoutGetsNone()
    {
        await using var app = await ApplicationHost.StartAsync(bookmarkInterval: TimeSpan.FromMilliseconds(50));
        var a = await app.CreateAsync(Clusters.New("a"));
        await using var plain = new WatchReader(app, new ListParameters(ResourceVersion: a.Metadata.ResourceVersion));
        await using var bookmarked = new WatchReader(app, new ListParameters(ResourceVersion: a.Metadata.ResourceVersion, AllowWatchBookmarks: true));
        Assert.Same(ClusterWatchEvent.Started, await plain.NextAsync());
        Assert.Same(ClusterWatchEvent.Live, await plain.NextAsync());
        var plainNext = plain.NextAsync();
        Assert.Same(ClusterWatchEvent.Started, await bookmarked.NextAsync());
        Assert.Same(ClusterWatchEvent.Live, await bookmarked.NextAsync());

        var bookmark = await bookmarked.NextAsync();
        var b = await app.CreateAsync(Clusters.New("b"));
        // An idle watch repeats its bookmark every interval until something changes.
        var afterWrite = await bookmarked.NextAsync();
        while (afterWrite.Type == "BOOKMARK")
        {
            Assert.Equal(a.Metadata.ResourceVersion, afterWrite.Object!.Object.Metadata.ResourceVersion);
            afterWrite = await bookmarked.NextAsync();
        }

        Assert.Equal(("BOOKMARK", a.Metadata.ResourceVersion), (bookmark.Type, bookmark.Object!.Object.Metadata.ResourceVersion));
        Assert.Null(bookmark.Object.Object.Metadata.Annotations);
        Assert.Equal(("ADDED", "b", b.Metadata.ResourceVersion), Describe(afterWrite));
        // The watch without bookmarks was idle as long (a bookmark interval passed) and sends only the change.
        Assert.Equal(("ADDED", "b", b.Metadata.ResourceVersion), Describe(await plainNext));
    }

    /// <summary>
    /// Bookmarks come from one clock every watch shares, not from a timer restarted by each event: a watch whose
    /// next event is always waiting for it still reports its progress (with a timer per event it never did, and
    /// neither did a watch that only looked at the clock while it had nothing to send).
    /// </summary>
    [Fact]
    public async Task BusyWatchWithBookmarks_StillReportsProgress()
    {
        await using var app = await ApplicationHost.StartAsync(bookmarkInterval: TimeSpan.FromMilliseconds(500));
        var a = await app.CreateAsync(Clusters.New("a"));
        await using var watch = new WatchReader(app, new ListParameters(ResourceVersion: a.Metadata.ResourceVersion, AllowWatchBookmarks: true));
        // The watch cache hands each event to every watcher at once: once this one has an event, the watch under
        // test has it queued too, so it never waits for one (it is busy, not idle, whenever the clock ticks).
        await using var probe = new WatchReader(app, new ListParameters(ResourceVersion: a.Metadata.ResourceVersion));
        Assert.Same(ClusterWatchEvent.Started, await watch.NextAsync());
        Assert.Same(ClusterWatchEvent.Live, await watch.NextAsync());
        Assert.Same(ClusterWatchEvent.Started, await probe.NextAsync());
        Assert.Same(ClusterWatchEvent.Live, await probe.NextAsync());

        // Writes back to back, each delivered before the watch asks for it.
        var delivered = a.Metadata.ResourceVersion;
        for (var i = 0; i < 5_000; i++)
        {
            var written = await app.MergePatchAsync("a", "{\"metadata\":{\"annotations\":{\"seq\":\"" + i + "\"}}}");
            Assert.Equal(("MODIFIED", "a", written.Metadata.ResourceVersion), Describe(await probe.NextAsync()));
            var e = await watch.NextAsync();
            if (e.Type == "BOOKMARK")
            {
                // It reports what was delivered before it; the write it came before follows.
                Assert.Equal(delivered, e.Object!.Object.Metadata.ResourceVersion);
                Assert.Equal(("MODIFIED", "a", written.Metadata.ResourceVersion), Describe(await watch.NextAsync()));
                return;
            }
            Assert.Equal(("MODIFIED", "a", written.Metadata.ResourceVersion), Describe(e));
            delivered = written.Metadata.ResourceVersion;
        }
        Assert.Fail("a watch whose next event was always waiting got no bookmark in 5,000 events");
    }

    private static async Task AssertExpiredAsync(ApplicationHost app, string resourceVersion)
    {
        await using var watch = new WatchReader(app, new ListParameters(ResourceVersion: resourceVersion));
        Assert.Same(ClusterWatchEvent.Started, await watch.NextAsync());
        Assert.Same(ClusterWatchEvent.Live, await watch.NextAsync());

        var error = await watch.NextAsync();

        Assert.Equal("ERROR", error.Type);
        Assert.Equal((410, "Expired"), (error.Error!.Code, error.Error.Reason));
        Assert.StartsWith($"too old resource version: {resourceVersion} (", error.Error.Message);
        Assert.True(await watch.EndsAsync(), "an expired watch ends after its ERROR event");
    }

    private static (string, string?, string?) Describe(ClusterWatchEvent e) =>
        (e.Type, e.Object?.Object.Metadata.Name, e.Object?.Object.Metadata.ResourceVersion);
}
