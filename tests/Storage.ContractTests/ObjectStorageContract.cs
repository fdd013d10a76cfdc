using System.Collections.Concurrent;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Tests.StorageContractTests.Support;

namespace ClusterRegistry.Tests.StorageContractTests;

/// <summary>
/// The behaviour every <see cref="IObjectStorage"/> backend must have (embedded SQLite, etcd, PostgreSQL…).
/// A backend's test class derives from this and supplies a fresh, empty store per test. Every wait is bounded;
/// nothing asserts on speed.
/// </summary>
public abstract class ObjectStorageContract : IAsyncLifetime
{
    /// <summary>The prefix the registry stores its objects under.</summary>
    protected const string Prefix = "clusters/";

    /// <summary>Upper bound for a whole bulk operation (many writes, a full catch-up); a hang fails instead of blocking the run.</summary>
    protected static readonly TimeSpan BulkBound = TimeSpan.FromMinutes(5);

    private readonly CancellationTokenSource _testCts = new(TimeSpan.FromMinutes(10));
    private IObjectStorage? _storage;

    /// <summary>The store under test: fresh and empty for each test.</summary>
    protected IObjectStorage Storage => _storage ?? throw new InvalidOperationException("storage not initialized");

    /// <summary>A token for storage calls that fires only if the test runs away (a last-resort bound).</summary>
    protected CancellationToken Ct => _testCts.Token;

    /// <summary>Creates a fresh, empty store for one test.</summary>
    protected abstract Task<IObjectStorage> CreateStorageAsync();

    /// <summary>
    /// Compacts the store's history at <paramref name="revision"/> (etcd semantics): reads and watches that need
    /// revisions below it fail with <see cref="StorageErrorCode.Expired"/>; <paramref name="revision"/> itself and
    /// later stay readable. Tests only call it with <paramref name="revision"/> below the current revision.
    /// </summary>
    protected abstract Task CompactAsync(IObjectStorage storage, long revision);

    /// <summary>Releases the store (and whatever backs it, e.g. a temp directory).</summary>
    protected virtual async ValueTask DisposeStorageAsync(IObjectStorage storage)
    {
        if (storage is IAsyncDisposable d) await d.DisposeAsync();
    }

    /// <summary>
    /// The port lets a watch end early for a slow consumer (the caller re-watches). Backends that guarantee a slow
    /// watcher catches up on the same stream instead (the embedded store replays its history) return true, and the
    /// slow-consumer test then fails if the stream ends.
    /// </summary>
    protected virtual bool SlowWatchersCatchUpWithoutEnding => false;

    public async Task InitializeAsync() => _storage = await CreateStorageAsync();

    public async Task DisposeAsync()
    {
        try
        {
            if (_storage is not null) await DisposeStorageAsync(_storage);
        }
        finally
        {
            _testCts.Dispose();
        }
    }

    // ---------------------------------------------------------------- helpers

    private Recorder NewRecorder() => new(Storage, Ct);

    private static async Task<StorageException> AssertStorageError(StorageErrorCode code, Func<Task> action)
    {
        var ex = await Assert.ThrowsAsync<StorageException>(action);
        Assert.Equal(code, ex.Code);
        return ex;
    }

    private Task<StoredPage> List(string prefix, ListRange? range = null) => Storage.ListAsync(prefix, range ?? new ListRange(), Ct).AsTask();

    private static List<string> Keys(StoredPage page) => page.Items.Select(i => i.Key).ToList();

    private static List<(string Key, string Value, long Revision)> Items(StoredPage page) =>
        page.Items.Select(i => (i.Key, Text.Of(i.Value), i.Revision)).ToList();

    /// <summary>Reads a watch until it throws; fails if it yields <paramref name="maxEvents"/> events or ends without throwing.</summary>
    private async Task<StorageException> WatchFailure(string prefix, long afterRevision, int maxEvents = 100)
    {
        await using var reader = new WatchReader(Storage, prefix, afterRevision);
        for (var i = 0; i <= maxEvents; i++)
        {
            try
            {
                if (await reader.NextOrEndAsync() is null)
                    throw new Xunit.Sdk.XunitException($"watch after {afterRevision} ended without an error");
            }
            catch (StorageException e)
            {
                return e;
            }
        }
        throw new Xunit.Sdk.XunitException($"watch after {afterRevision} yielded {maxEvents} events without an error");
    }

    // ---------------------------------------------------------------- create / get

    [Fact]
    public async Task Create_NewKey_ReturnsPositiveRevisionAndGetReturnsValue()
    {
        var revision = await Storage.CreateAsync("clusters/a", Text.Bytes("{\"a\":1}"), Ct);

        Assert.True(revision > 0, $"revision {revision}");
        var got = await Storage.GetAsync("clusters/a", Ct);
        Assert.NotNull(got);
        Assert.Equal("clusters/a", got.Key);
        Assert.Equal("{\"a\":1}", Text.Of(got.Value));
        Assert.Equal(revision, got.Revision);
    }

    [Fact]
    public async Task Get_MissingKey_ReturnsNull()
    {
        await Storage.CreateAsync("clusters/a", Text.Bytes("a"), Ct);

        Assert.Null(await Storage.GetAsync("clusters/b", Ct));
        Assert.Null(await Storage.GetAsync("clusters/", Ct));
    }

    /// <summary>
    /// A get bounded by a revision the caller's own writes reached sees those writes: their state or a newer one, never
    /// an older one (a cache that has not applied them yet must wait for them or read the store).
    /// </summary>
    [Fact]
    public async Task GetNotOlderThan_OwnLatestWrite_ReturnsItsState()
    {
        Assert.Null(await Storage.GetAsync("clusters/a", 0, Ct));
        var created = await Storage.CreateAsync("clusters/a", Text.Bytes("one"), Ct);
        var got = await Storage.GetAsync("clusters/a", created, Ct);
        Assert.Equal(("clusters/a", "one", created), (got?.Key, Text.Of(got!.Value), got.Revision));

        var updated = await Storage.UpdateAsync("clusters/a", Text.Bytes("two"), created, Ct);
        got = await Storage.GetAsync("clusters/a", updated, Ct);
        Assert.Equal(("two", updated), (Text.Of(got!.Value), got.Revision));

        var deleted = await Storage.DeleteAsync("clusters/a", updated, Ct);
        Assert.Null(await Storage.GetAsync("clusters/a", deleted, Ct));
        Assert.Null(await Storage.GetAsync("clusters/b", deleted, Ct));

        var outside = await Storage.CreateAsync("other/a", Text.Bytes("elsewhere"), Ct);
        Assert.Equal("elsewhere", Text.Of((await Storage.GetAsync("other/a", outside, Ct))!.Value));
    }

    [Fact]
    public async Task Create_ExistingKey_ThrowsKeyExistsAndKeepsValue()
    {
        var revision = await Storage.CreateAsync("clusters/a", Text.Bytes("first"), Ct);

        var ex = await AssertStorageError(StorageErrorCode.KeyExists,
            async () => await Storage.CreateAsync("clusters/a", Text.Bytes("second"), Ct));

        Assert.Equal("clusters/a", ex.Key);
        var got = await Storage.GetAsync("clusters/a", Ct);
        Assert.NotNull(got);
        Assert.Equal("first", Text.Of(got.Value));
        Assert.Equal(revision, got.Revision);
    }

    [Fact]
    public async Task Create_DeletedKey_SucceedsWithNewRevision()
    {
        var created = await Storage.CreateAsync("clusters/a", Text.Bytes("first"), Ct);
        var deleted = await Storage.DeleteAsync("clusters/a", created, Ct);

        var recreated = await Storage.CreateAsync("clusters/a", Text.Bytes("second"), Ct);

        Assert.True(recreated > deleted, $"recreate {recreated} after delete {deleted}");
        var got = await Storage.GetAsync("clusters/a", Ct);
        Assert.NotNull(got);
        Assert.Equal("second", Text.Of(got.Value));
        Assert.Equal(recreated, got.Revision);
    }

    [Fact]
    public async Task Create_ConcurrentSameKey_ExactlyOneSucceeds()
    {
        const int writers = 8;
        var outcomes = await Task.WhenAll(Enumerable.Range(0, writers).Select(i => Task.Run(async () =>
        {
            try
            {
                await Storage.CreateAsync("clusters/contended", Text.Bytes($"writer-{i}"), Ct);
                return (Won: true, Code: (StorageErrorCode?)null);
            }
            catch (StorageException e)
            {
                return (Won: false, Code: (StorageErrorCode?)e.Code);
            }
        }))).WaitAsync(BulkBound);

        Assert.Single(outcomes, o => o.Won);
        Assert.All(outcomes.Where(o => !o.Won), o => Assert.Equal(StorageErrorCode.KeyExists, o.Code));
        var got = await Storage.GetAsync("clusters/contended", Ct);
        Assert.NotNull(got);
        Assert.StartsWith("writer-", Text.Of(got.Value));
    }

    [Fact]
    public async Task Write_DifferentKeys_RevisionsStrictlyIncrease()
    {
        var revisions = new List<long>
        {
            await Storage.CreateAsync("clusters/a", Text.Bytes("a"), Ct),
            await Storage.CreateAsync("other/b", Text.Bytes("b"), Ct),
            await Storage.CreateAsync("clusters/c", Text.Bytes("c"), Ct),
        };
        revisions.Add(await Storage.UpdateAsync("clusters/a", Text.Bytes("a2"), revisions[0], Ct));
        revisions.Add(await Storage.DeleteAsync("other/b", revisions[1], Ct));
        revisions.Add(await Storage.CreateAsync("clustersx/d", Text.Bytes("d"), Ct));
        revisions.Add(await Storage.UpdateAsync("clusters/c", Text.Bytes("c2"), revisions[2], Ct));

        for (var i = 1; i < revisions.Count; i++)
            Assert.True(revisions[i] > revisions[i - 1], $"revisions not strictly increasing: {string.Join(", ", revisions)}");
    }

    // ---------------------------------------------------------------- update

    [Fact]
    public async Task Update_CurrentRevision_ReplacesValueAndReturnsHigherRevision()
    {
        var created = await Storage.CreateAsync("clusters/a", Text.Bytes("v1"), Ct);

        var updated = await Storage.UpdateAsync("clusters/a", Text.Bytes("v2"), created, Ct);

        Assert.True(updated > created, $"update {updated} after create {created}");
        var got = await Storage.GetAsync("clusters/a", Ct);
        Assert.NotNull(got);
        Assert.Equal("v2", Text.Of(got.Value));
        Assert.Equal(updated, got.Revision);

        var again = await Storage.UpdateAsync("clusters/a", Text.Bytes("v3"), updated, Ct);
        Assert.True(again > updated);
    }

    [Fact]
    public async Task Update_StaleRevision_ThrowsConflictAndKeepsValue()
    {
        var created = await Storage.CreateAsync("clusters/a", Text.Bytes("v1"), Ct);
        var updated = await Storage.UpdateAsync("clusters/a", Text.Bytes("v2"), created, Ct);

        var ex = await AssertStorageError(StorageErrorCode.Conflict,
            async () => await Storage.UpdateAsync("clusters/a", Text.Bytes("stale"), created, Ct));

        Assert.Equal("clusters/a", ex.Key);
        var got = await Storage.GetAsync("clusters/a", Ct);
        Assert.NotNull(got);
        Assert.Equal("v2", Text.Of(got.Value));
        Assert.Equal(updated, got.Revision);
    }

    [Fact]
    public async Task Update_RevisionOfAnotherKey_ThrowsConflict()
    {
        var a = await Storage.CreateAsync("clusters/a", Text.Bytes("a"), Ct);
        var b = await Storage.CreateAsync("clusters/b", Text.Bytes("b"), Ct);

        await AssertStorageError(StorageErrorCode.Conflict,
            async () => await Storage.UpdateAsync("clusters/a", Text.Bytes("a2"), b, Ct));

        var got = await Storage.GetAsync("clusters/a", Ct);
        Assert.NotNull(got);
        Assert.Equal(("a", a), (Text.Of(got.Value), got.Revision));
    }

    [Fact]
    public async Task Update_MissingKey_ThrowsKeyNotFound()
    {
        var ex = await AssertStorageError(StorageErrorCode.KeyNotFound,
            async () => await Storage.UpdateAsync("clusters/never", Text.Bytes("x"), 1, Ct));
        Assert.Equal("clusters/never", ex.Key);

        var created = await Storage.CreateAsync("clusters/gone", Text.Bytes("x"), Ct);
        await Storage.DeleteAsync("clusters/gone", created, Ct);
        await AssertStorageError(StorageErrorCode.KeyNotFound,
            async () => await Storage.UpdateAsync("clusters/gone", Text.Bytes("y"), created, Ct));
        Assert.Null(await Storage.GetAsync("clusters/gone", Ct));
    }

    // ---------------------------------------------------------------- delete

    [Fact]
    public async Task Delete_CurrentRevision_ReturnsRevisionAndGetReturnsNull()
    {
        var created = await Storage.CreateAsync("clusters/a", Text.Bytes("v1"), Ct);

        var deleted = await Storage.DeleteAsync("clusters/a", created, Ct);

        Assert.True(deleted > created, $"delete {deleted} after create {created}");
        Assert.Null(await Storage.GetAsync("clusters/a", Ct));
        Assert.Equal(deleted, await Storage.CurrentRevisionAsync(Ct));
    }

    [Fact]
    public async Task Delete_StaleRevision_ThrowsConflictAndKeepsKey()
    {
        var created = await Storage.CreateAsync("clusters/a", Text.Bytes("v1"), Ct);
        var updated = await Storage.UpdateAsync("clusters/a", Text.Bytes("v2"), created, Ct);

        var ex = await AssertStorageError(StorageErrorCode.Conflict,
            async () => await Storage.DeleteAsync("clusters/a", created, Ct));

        Assert.Equal("clusters/a", ex.Key);
        var got = await Storage.GetAsync("clusters/a", Ct);
        Assert.NotNull(got);
        Assert.Equal("v2", Text.Of(got.Value));
        Assert.Equal(updated, got.Revision);
    }

    [Fact]
    public async Task Delete_MissingKey_ThrowsKeyNotFound()
    {
        var ex = await AssertStorageError(StorageErrorCode.KeyNotFound,
            async () => await Storage.DeleteAsync("clusters/never", 1, Ct));
        Assert.Equal("clusters/never", ex.Key);

        var created = await Storage.CreateAsync("clusters/gone", Text.Bytes("x"), Ct);
        await Storage.DeleteAsync("clusters/gone", created, Ct);
        await AssertStorageError(StorageErrorCode.KeyNotFound,
            async () => await Storage.DeleteAsync("clusters/gone", created, Ct));
    }

    // ---------------------------------------------------------------- list

    [Fact]
    public async Task List_Prefix_ReturnsOnlyKeysUnderPrefixInKeyOrder()
    {
        // Written out of order, with neighbours that share a textual prefix but are outside "clusters/".
        string[] inside = ["clusters/b", "clusters/a", "clusters/c/sub", "clusters/B", "clusters/a-1", "clusters/c"];
        string[] outside = ["clustersx/a", "clusters", "cluster/a", "other/a", "clusters0/a", "a", "zzz/clusters/a"];
        foreach (var key in inside.Concat(outside))
            await Storage.CreateAsync(key, Text.Bytes("value of " + key), Ct);

        var page = await List(Prefix);

        Assert.Equal(inside.Order(StringComparer.Ordinal).ToList(), Keys(page));
        Assert.All(page.Items, i => Assert.Equal("value of " + i.Key, Text.Of(i.Value)));
        Assert.False(page.HasMore);
    }

    [Fact]
    public async Task List_Latest_ReturnsModRevisionsAndCurrentPageRevision()
    {
        var a = await Storage.CreateAsync("clusters/a", Text.Bytes("a1"), Ct);
        var b = await Storage.CreateAsync("clusters/b", Text.Bytes("b1"), Ct);
        var a2 = await Storage.UpdateAsync("clusters/a", Text.Bytes("a2"), a, Ct);
        var other = await Storage.CreateAsync("other/x", Text.Bytes("x"), Ct);

        var page = await List(Prefix);

        Assert.Equal([("clusters/a", "a2", a2), ("clusters/b", "b1", b)], Items(page));
        Assert.Equal(other, page.Revision);
        Assert.Equal(await Storage.CurrentRevisionAsync(Ct), page.Revision);
    }

    [Fact]
    public async Task List_NoKeysUnderPrefix_ReturnsEmptyPage()
    {
        await Storage.CreateAsync("clustersx/a", Text.Bytes("x"), Ct);
        await Storage.CreateAsync("other/a", Text.Bytes("x"), Ct);

        var page = await List(Prefix, new ListRange(Limit: 10));

        Assert.Empty(page.Items);
        Assert.False(page.HasMore);
        Assert.True(page.RemainingCount is null or 0, $"RemainingCount {page.RemainingCount}");
    }

    [Fact]
    public async Task List_WithLimit_PagesWithStartAfterKeyHasMoreAndRemainingCount()
    {
        foreach (var k in new[] { "e", "c", "a", "d", "b" })
            await Storage.CreateAsync(Prefix + k, Text.Bytes(k), Ct);
        await Storage.CreateAsync("clustersx/z", Text.Bytes("z"), Ct);

        var first = await List(Prefix, new ListRange(Limit: 2));
        Assert.Equal(["clusters/a", "clusters/b"], Keys(first));
        Assert.True(first.HasMore);
        Assert.Equal(3, first.RemainingCount);

        var second = await List(Prefix, new ListRange(first.Revision, StartAfterKey: "clusters/b", Limit: 2));
        Assert.Equal(["clusters/c", "clusters/d"], Keys(second));
        Assert.True(second.HasMore);
        Assert.Equal(1, second.RemainingCount);

        var third = await List(Prefix, new ListRange(first.Revision, StartAfterKey: "clusters/d", Limit: 2));
        Assert.Equal(["clusters/e"], Keys(third));
        Assert.False(third.HasMore);
        Assert.True(third.RemainingCount is null or 0, $"RemainingCount {third.RemainingCount}");

        var exact = await List(Prefix, new ListRange(Limit: 5));
        Assert.Equal(5, exact.Items.Count);
        Assert.False(exact.HasMore);

        var all = await List(Prefix, new ListRange(Limit: 0));
        Assert.Equal(5, all.Items.Count);
        Assert.False(all.HasMore);

        var tail = await List(Prefix, new ListRange(StartAfterKey: "clusters/b"));
        Assert.Equal(["clusters/c", "clusters/d", "clusters/e"], Keys(tail));
    }

    [Fact]
    public async Task List_WithFilter_AppliesFilterBeforeLimit()
    {
        for (var i = 0; i < 10; i++)
            await Storage.CreateAsync($"clusters/k{i}", Text.Bytes(i % 2 == 0 ? "even" : "odd"), Ct);
        Func<StoredObject, bool> even = o => Text.Of(o.Value) == "even";

        var first = await List(Prefix, new ListRange(Limit: 2, Filter: even));

        // Filtering after the limit would give only k0 (k0, k1 read, k1 dropped).
        Assert.Equal(["clusters/k0", "clusters/k2"], Keys(first));
        Assert.True(first.HasMore);

        var collected = Keys(first);
        var page = first;
        for (var guard = 0; page.HasMore; guard++)
        {
            Assert.True(guard < 10, "paging did not terminate");
            Assert.NotEmpty(page.Items);
            page = await List(Prefix, new ListRange(first.Revision, page.Items[^1].Key, Limit: 2, Filter: even));
            Assert.True(page.Items.Count <= 2);
            collected.AddRange(Keys(page));
        }
        Assert.Equal(["clusters/k0", "clusters/k2", "clusters/k4", "clusters/k6", "clusters/k8"], collected);

        var unlimited = await List(Prefix, new ListRange(Filter: even));
        Assert.Equal(5, unlimited.Items.Count);
        Assert.False(unlimited.HasMore);
    }

    [Fact]
    public async Task List_AtOlderRevision_ReturnsStateAsOfThatRevision()
    {
        var a1 = await Storage.CreateAsync("clusters/a", Text.Bytes("a1"), Ct);
        var b1 = await Storage.CreateAsync("clusters/b", Text.Bytes("b1"), Ct);
        var c1 = await Storage.CreateAsync("clusters/c", Text.Bytes("c1"), Ct);
        var snapshot = c1;

        var a2 = await Storage.UpdateAsync("clusters/a", Text.Bytes("a2"), a1, Ct);     // modified later (twice)
        var a3 = await Storage.UpdateAsync("clusters/a", Text.Bytes("a3"), a2, Ct);
        await Storage.DeleteAsync("clusters/b", b1, Ct);                                 // deleted later
        var d1 = await Storage.CreateAsync("clusters/d", Text.Bytes("d1"), Ct);          // created later
        var c2 = await Storage.DeleteAsync("clusters/c", c1, Ct);                        // deleted and re-created later
        var c3 = await Storage.CreateAsync("clusters/c", Text.Bytes("c3"), Ct);
        await Storage.CreateAsync("clustersx/a", Text.Bytes("outside"), Ct);

        var old = await List(Prefix, new ListRange(Revision: snapshot));
        Assert.Equal(snapshot, old.Revision);
        Assert.Equal([("clusters/a", "a1", a1), ("clusters/b", "b1", b1), ("clusters/c", "c1", c1)], Items(old));

        var middle = await List(Prefix, new ListRange(Revision: a2));
        Assert.Equal([("clusters/a", "a2", a2), ("clusters/b", "b1", b1), ("clusters/c", "c1", c1)], Items(middle));

        var afterDeleteOfC = await List(Prefix, new ListRange(Revision: c2));
        Assert.Equal([("clusters/a", "a3", a3), ("clusters/d", "d1", d1)], Items(afterDeleteOfC));

        var latest = await List(Prefix);
        Assert.Equal([("clusters/a", "a3", a3), ("clusters/c", "c3", c3), ("clusters/d", "d1", d1)], Items(latest));

        var oldPage = await List(Prefix, new ListRange(Revision: snapshot, Limit: 2));
        Assert.Equal(["clusters/a", "clusters/b"], Keys(oldPage));
        Assert.True(oldPage.HasMore);
        Assert.Equal(1, oldPage.RemainingCount);
        var oldRest = await List(Prefix, new ListRange(Revision: snapshot, StartAfterKey: "clusters/b", Limit: 2));
        Assert.Equal([("clusters/c", "c1", c1)], Items(oldRest));
        Assert.False(oldRest.HasMore);
    }

    [Fact]
    public async Task List_PagedAtFixedRevision_IgnoresLaterWrites()
    {
        var revisions = new Dictionary<string, long>();
        foreach (var k in new[] { "a", "b", "c", "d", "e" })
            revisions[k] = await Storage.CreateAsync(Prefix + k, Text.Bytes(k + "1"), Ct);

        var first = await List(Prefix, new ListRange(Limit: 2));
        Assert.Equal(["clusters/a", "clusters/b"], Keys(first));

        // Writes between pages: a key inside the unread range appears, one is changed, one disappears.
        await Storage.CreateAsync("clusters/bb", Text.Bytes("bb1"), Ct);
        await Storage.UpdateAsync("clusters/c", Text.Bytes("c2"), revisions["c"], Ct);
        await Storage.DeleteAsync("clusters/e", revisions["e"], Ct);

        var second = await List(Prefix, new ListRange(first.Revision, "clusters/b", Limit: 2));
        Assert.Equal(first.Revision, second.Revision);
        Assert.Equal([("clusters/c", "c1", revisions["c"]), ("clusters/d", "d1", revisions["d"])], Items(second));
        Assert.True(second.HasMore);
        Assert.Equal(1, second.RemainingCount);

        var third = await List(Prefix, new ListRange(first.Revision, "clusters/d", Limit: 2));
        Assert.Equal([("clusters/e", "e1", revisions["e"])], Items(third));
        Assert.False(third.HasMore);
    }

    [Fact]
    public async Task List_AtOlderRevisionAfterCompaction_KeepsOldModRevision()
    {
        var a1 = await Storage.CreateAsync("clusters/a", Text.Bytes("a1"), Ct);
        var b1 = await Storage.CreateAsync("clusters/b", Text.Bytes("b1"), Ct);
        var x1 = await Storage.CreateAsync("clusters/x", Text.Bytes("x1"), Ct);
        await Storage.CreateAsync("other/y", Text.Bytes("y1"), Ct);
        await CompactAsync(Storage, x1);

        await Storage.UpdateAsync("clusters/a", Text.Bytes("a2"), a1, Ct);
        await Storage.DeleteAsync("clusters/b", b1, Ct);

        // x1 is still readable after compacting at x1; a and b changed after it, and their mod revisions at x1
        // are a1 and b1 (what the objects' resourceVersions were then), not x1.
        var page = await List(Prefix, new ListRange(Revision: x1));
        Assert.Equal([("clusters/a", "a1", a1), ("clusters/b", "b1", b1), ("clusters/x", "x1", x1)], Items(page));
    }

    [Fact]
    public async Task List_RevisionNewerThanCurrent_ThrowsTooLargeRevision()
    {
        var current = await Storage.CreateAsync("clusters/a", Text.Bytes("a"), Ct);

        var ex = await AssertStorageError(StorageErrorCode.TooLargeRevision,
            async () => await List(Prefix, new ListRange(Revision: current + 1)));
        Assert.Equal(current, ex.CurrentRevision);
        await AssertStorageError(StorageErrorCode.TooLargeRevision,
            async () => await List(Prefix, new ListRange(Revision: current + 1000)));

        var atCurrent = await List(Prefix, new ListRange(Revision: current));
        Assert.Equal(["clusters/a"], Keys(atCurrent));
    }

    [Fact]
    public async Task List_RevisionBelowCompaction_ThrowsExpired()
    {
        var revisions = new List<long>();
        for (var i = 0; i < 6; i++)
            revisions.Add(await Storage.CreateAsync($"clusters/k{i}", Text.Bytes($"v{i}"), Ct));
        var compactAt = revisions[3];

        await CompactAsync(Storage, compactAt);

        var ex = await AssertStorageError(StorageErrorCode.Expired,
            async () => await List(Prefix, new ListRange(Revision: revisions[1])));
        Assert.True(ex.CurrentRevision > 0, "Expired carries a revision");
        await AssertStorageError(StorageErrorCode.Expired,
            async () => await List(Prefix, new ListRange(Revision: revisions[1], StartAfterKey: "clusters/k0", Limit: 1)));
        // Latest reads are unaffected.
        Assert.Equal(6, (await List(Prefix)).Items.Count);
    }

    [Fact]
    public async Task List_AtCompactionRevision_Succeeds()
    {
        var revisions = new List<long>();
        for (var i = 0; i < 6; i++)
            revisions.Add(await Storage.CreateAsync($"clusters/k{i}", Text.Bytes($"v{i}"), Ct));
        var compactAt = revisions[3];

        await CompactAsync(Storage, compactAt);

        var page = await List(Prefix, new ListRange(Revision: compactAt));
        Assert.Equal(["clusters/k0", "clusters/k1", "clusters/k2", "clusters/k3"], Keys(page));
    }

    // ---------------------------------------------------------------- watch

    [Fact]
    public async Task Watch_FromRevision_YieldsLaterEventsInOrderWithValues()
    {
        var rec = NewRecorder();
        var start = await rec.CreateAsync("clusters/a", "a1");
        await rec.CreateAsync("clusters/b", "b1");
        await rec.UpdateAsync("clusters/a", "a2");
        await rec.DeleteAsync("clusters/b");
        await rec.CreateAsync("clusters/c", "c1");

        await using var reader = new WatchReader(Storage, Prefix, start);

        // Events already committed (history)…
        var rawHistory = await reader.ReadAsync(4);
        var history = rawHistory.Select(Ev.From).ToList();
        Assert.Equal(rec.Events.Skip(1).ToList(), history);

        // …then events committed while the watch is open (live).
        await rec.UpdateAsync("clusters/c", "c2");
        await rec.DeleteAsync("clusters/a");
        await rec.CreateAsync("clusters/b", "b2");
        var live = (await reader.ReadAsync(3)).Select(Ev.From).ToList();
        Assert.Equal(rec.Events.Skip(5).ToList(), live);

        // Shape of each kind, on the raw events.
        await rec.UpdateAsync("clusters/b", "b3");
        await rec.DeleteAsync("clusters/b");
        var modified = await reader.NextAsync();
        var deleted = await reader.NextAsync();
        Assert.Equal(StorageEventType.Modified, modified.Type);
        Assert.Equal("b3", Text.Of(modified.Value));
        Assert.Equal("b2", Text.Of(modified.PrevValue));
        Assert.Equal(StorageEventType.Deleted, deleted.Type);
        Assert.False(deleted.Value.HasValue);
        Assert.True(deleted.PrevValue.HasValue);
        Assert.Equal("b3", Text.Of(deleted.PrevValue));
        Assert.True(deleted.Revision > modified.Revision);
        Assert.All(rawHistory.Where(e => e.Type == StorageEventType.Added), e =>
        {
            Assert.False(e.PrevValue.HasValue);
            Assert.True(e.Value.HasValue);
        });
        Assert.Equal(await Storage.CurrentRevisionAsync(Ct), deleted.Revision);
    }

    [Fact]
    public async Task Watch_FromCurrentRevision_YieldsOnlyNewEvents()
    {
        var rec = NewRecorder();
        await rec.CreateAsync("clusters/a", "a1");
        var current = await Storage.CurrentRevisionAsync(Ct);

        await using var reader = new WatchReader(Storage, Prefix, current);
        reader.BeginNext();
        await rec.UpdateAsync("clusters/a", "a2");

        var e = Ev.From(await reader.NextAsync());
        Assert.Equal(rec.Events[^1], e);
        Assert.Equal(StorageEventType.Modified, e.Type);
    }

    [Fact]
    public async Task Watch_WhileWritesInFlight_YieldsEveryEventOnceInOrder()
    {
        const int writes = 400;
        const int checkpoints = 5;
        var rec = NewRecorder();
        await rec.CreateAsync("clusters/seed", "seed");
        var start = await Storage.CurrentRevisionAsync(Ct);
        var gates = Enumerable.Range(0, checkpoints).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();

        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < writes; i++)
            {
                await rec.StepAsync(Prefix, 13, i);
                if (i % (writes / checkpoints) == 0) gates[i / (writes / checkpoints)].TrySetResult();
            }
        });

        // At each checkpoint, while the writer keeps going, set up two watches: one replaying from the start,
        // one from whatever revision is current at that moment (the history/live hand-off races the writes).
        var readers = new List<(WatchReader Reader, long After)>();
        try
        {
            foreach (var gate in gates)
            {
                await gate.Task.WaitAsync(BulkBound);
                var fromStart = new WatchReader(Storage, Prefix, start);
                fromStart.BeginNext();
                readers.Add((fromStart, start));
                var now = await Storage.CurrentRevisionAsync(Ct);
                var fromNow = new WatchReader(Storage, Prefix, now);
                fromNow.BeginNext();
                readers.Add((fromNow, now));
            }
            await writer.WaitAsync(BulkBound);

            var all = rec.Events.Skip(1).ToList();
            Assert.Equal(writes, all.Count);
            foreach (var (reader, after) in readers)
            {
                var expected = all.Where(e => e.Revision > after).ToList();
                var got = (await reader.ReadAsync(expected.Count)).Select(Ev.From).ToList();
                Assert.Equal(expected, got);
            }

            // Nothing extra after the last write: the next event each watcher sees is the next write.
            await rec.CreateAsync("clusters/sentinel", "end");
            foreach (var (reader, _) in readers)
                Assert.Equal(rec.Events[^1], Ev.From(await reader.NextAsync()));
        }
        finally
        {
            foreach (var (reader, _) in readers) await reader.DisposeAsync();
        }
    }

    [Fact]
    public async Task Watch_TwoConcurrentWatchers_BothReceiveAllEvents()
    {
        const int writes = 300;
        var rec = NewRecorder();
        var start = await Storage.CurrentRevisionAsync(Ct);
        await using var first = new WatchReader(Storage, Prefix, start);
        await using var second = new WatchReader(Storage, Prefix, start);
        first.BeginNext();
        second.BeginNext();

        // Both consume while the writes happen.
        var firstRead = Task.Run(() => first.ReadAsync(writes));
        var secondRead = Task.Run(() => second.ReadAsync(writes));
        for (var i = 0; i < writes; i++) await rec.StepAsync(Prefix, 11, i);

        var got = await Task.WhenAll(firstRead, secondRead).WaitAsync(BulkBound);
        Assert.Equal(rec.Events, got[0].Select(Ev.From).ToList());
        Assert.Equal(rec.Events, got[1].Select(Ev.From).ToList());
    }

    [Fact]
    public async Task Watch_UnconsumedWatcher_DoesNotBlockWritesAndCatchesUp()
    {
        const int writes = 5000;
        var rec = NewRecorder();
        var start = await Storage.CurrentRevisionAsync(Ct);
        await rec.CreateAsync("clusters/first", "first");

        var reader = new WatchReader(Storage, Prefix, start);
        var rewatches = 0;
        try
        {
            // The watch is established (it delivered an event), then left unread during the writes.
            Assert.Equal(rec.Events[0], Ev.From(await reader.NextAsync()));

            var writer = Task.Run(async () =>
            {
                for (var i = 0; i < writes; i++) await rec.StepAsync(Prefix, 50, i);
            });
            await writer.WaitAsync(BulkBound);

            // Now read everything: every event, in order, once. A backend may end the stream for the slow
            // consumer (the port allows it); the caller then re-watches from the last revision it saw.
            var got = new List<Ev>();
            var last = rec.Events[0].Revision;
            while (got.Count < writes)
            {
                var e = await reader.NextOrEndAsync();
                if (e is null)
                {
                    Assert.False(SlowWatchersCatchUpWithoutEnding, $"watch ended after {got.Count} of {writes} events");
                    Assert.True(++rewatches <= 100, "too many re-watches");
                    await reader.DisposeAsync();
                    reader = new WatchReader(Storage, Prefix, last);
                    continue;
                }
                got.Add(Ev.From(e));
                last = e.Revision;
            }
            Assert.Equal(rec.Events.Skip(1).ToList(), got);
        }
        finally
        {
            await reader.DisposeAsync();
        }
    }

    [Fact]
    public async Task Watch_Prefix_YieldsOnlyKeysUnderPrefix()
    {
        var start = await Storage.CurrentRevisionAsync(Ct);
        await using var live = new WatchReader(Storage, Prefix, start);
        live.BeginNext();

        var rec = NewRecorder();
        await rec.CreateAsync("clustersx/a", "x");
        await rec.CreateAsync("clusters/a", "a");
        await rec.CreateAsync("other/a", "o");
        await rec.CreateAsync("clusters", "bare");
        await rec.CreateAsync("cluster/a", "c");
        await rec.UpdateAsync("clustersx/a", "x2");
        await rec.CreateAsync("clusters/b", "b");
        await rec.DeleteAsync("other/a");
        await rec.DeleteAsync("clusters/a");
        await rec.CreateAsync("clusters0/a", "zero");
        await rec.CreateAsync("clusters/end", "end");
        var expected = rec.Events.Where(e => e.Key.StartsWith(Prefix, StringComparison.Ordinal)).ToList();
        Assert.Equal(4, expected.Count);

        Assert.Equal(expected, (await live.ReadAsync(expected.Count)).Select(Ev.From).ToList());

        await using var replay = new WatchReader(Storage, Prefix, start);
        Assert.Equal(expected, (await replay.ReadAsync(expected.Count)).Select(Ev.From).ToList());

        // And nothing from other prefixes after the last one either.
        await rec.CreateAsync("clustersx/after", "x");
        await rec.CreateAsync("clusters/after", "after");
        Assert.Equal(rec.Events[^1], Ev.From(await live.NextAsync()));
        Assert.Equal(rec.Events[^1], Ev.From(await replay.NextAsync()));
    }

    [Fact]
    public async Task Watch_CancelToken_EndsWatch()
    {
        var rec = NewRecorder();
        var start = await Storage.CurrentRevisionAsync(Ct);
        await rec.CreateAsync("clusters/a", "a1");
        await using var reader = new WatchReader(Storage, Prefix, start);
        Assert.Equal(rec.Events[0], Ev.From(await reader.NextAsync()));

        // A read is waiting for the next event when the token is cancelled.
        reader.BeginNext();
        reader.Cancel();

        StorageEvent? next = null;
        var ex = await Record.ExceptionAsync(async () => next = await reader.NextOrEndAsync());
        Assert.True(ex is OperationCanceledException || (ex is null && next is null),
            $"expected the watch to end or throw OperationCanceledException, got {(ex?.GetType().Name ?? next?.ToString())}");

        // The store is unaffected.
        await rec.UpdateAsync("clusters/a", "a2");
        Assert.Equal(rec.Events[^1].Revision, await Storage.CurrentRevisionAsync(Ct));
    }

    [Fact]
    public async Task Watch_CancelledBeforeFirstRead_EndsWatch()
    {
        await Storage.CreateAsync("clusters/a", Text.Bytes("a1"), Ct);
        await using var reader = new WatchReader(Storage, Prefix, await Storage.CurrentRevisionAsync(Ct));
        reader.Cancel();

        StorageEvent? next = null;
        var ex = await Record.ExceptionAsync(async () => next = await reader.NextOrEndAsync());
        Assert.True(ex is OperationCanceledException || (ex is null && next is null),
            $"expected the watch to end or throw OperationCanceledException, got {(ex?.GetType().Name ?? next?.ToString())}");
    }

    [Fact]
    public async Task Watch_RevisionBelowCompaction_ThrowsExpired()
    {
        var revisions = new List<long>();
        for (var i = 0; i < 6; i++)
            revisions.Add(await Storage.CreateAsync($"clusters/k{i}", Text.Bytes($"v{i}"), Ct));

        await CompactAsync(Storage, revisions[3]);

        var ex = await WatchFailure(Prefix, revisions[1]);
        Assert.Equal(StorageErrorCode.Expired, ex.Code);
        var fromOrigin = await WatchFailure(Prefix, revisions[0] - 1);
        Assert.Equal(StorageErrorCode.Expired, fromOrigin.Code);
    }

    [Fact]
    public async Task Watch_CompactedPastSlowWatcher_ThrowsExpiredOrDeliversWithoutGaps()
    {
        const int writes = 3000;
        var rec = NewRecorder();
        var start = await Storage.CurrentRevisionAsync(Ct);
        await rec.CreateAsync("clusters/first", "first");
        await using var reader = new WatchReader(Storage, Prefix, start);
        Assert.Equal(rec.Events[0], Ev.From(await reader.NextAsync()));

        // The watcher falls far behind, and the history it still needs is compacted away.
        for (var i = 0; i < writes; i++) await rec.StepAsync(Prefix, 20, i);
        await CompactAsync(Storage, rec.Events[^2].Revision);

        // It may still deliver what it had buffered, but only as a gap-free prefix of the truth, ended by Expired
        // (or by the end of the stream, after which a re-watch from the last revision must be Expired).
        var expected = rec.Events.Skip(1).ToList();
        var got = new List<Ev>();
        StorageException? failure = null;
        while (got.Count < expected.Count)
        {
            try
            {
                var e = await reader.NextOrEndAsync();
                if (e is null) break;
                got.Add(Ev.From(e));
            }
            catch (StorageException ex)
            {
                failure = ex;
                break;
            }
        }
        Assert.Equal(expected.Take(got.Count).ToList(), got);
        if (got.Count == expected.Count) return;
        failure ??= await WatchFailure(Prefix, got.Count == 0 ? rec.Events[0].Revision : got[^1].Revision, maxEvents: 0);
        Assert.Equal(StorageErrorCode.Expired, failure.Code);
    }

    [Fact]
    public async Task Watch_AfterCompactionRevision_YieldsLaterEvents()
    {
        var rec = NewRecorder();
        for (var i = 0; i < 6; i++) await rec.CreateAsync($"clusters/k{i}", $"v{i}");
        var compactAt = rec.Events[3].Revision;

        await CompactAsync(Storage, compactAt);

        await using var reader = new WatchReader(Storage, Prefix, compactAt);
        Assert.Equal(rec.Events.Skip(4).ToList(), (await reader.ReadAsync(2)).Select(Ev.From).ToList());
        await rec.UpdateAsync("clusters/k0", "v0b");
        Assert.Equal(rec.Events[^1], Ev.From(await reader.NextAsync()));
    }

    // ---------------------------------------------------------------- revision

    [Fact]
    public async Task CurrentRevision_AfterWrites_EqualsLastWriteRevision()
    {
        var initial = await Storage.CurrentRevisionAsync(Ct);
        Assert.True(initial >= 0);

        var rec = NewRecorder();
        for (var i = 0; i < 30; i++)
        {
            var revision = await rec.StepAsync(Prefix, 4, i);
            Assert.True(revision > initial);
            Assert.Equal(revision, await Storage.CurrentRevisionAsync(Ct));
        }
        var outside = await Storage.CreateAsync("other/x", Text.Bytes("x"), Ct);
        Assert.Equal(outside, await Storage.CurrentRevisionAsync(Ct));
        Assert.Equal(outside, (await List(Prefix)).Revision);
    }

    // ---------------------------------------------------------------- concurrency

    [Fact]
    public async Task Update_ConcurrentCasIncrements_EndWithExactTotalAndUniqueRevisions()
    {
        const int writers = 8;
        const int incrementsEach = 50;
        const string key = "clusters/counter";
        var created = await Storage.CreateAsync(key, Text.Bytes("0"), Ct);
        var revisions = new ConcurrentBag<long>();
        var conflicts = 0;

        var tasks = Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            for (var n = 0; n < incrementsEach; n++)
            {
                while (true)
                {
                    var current = await Storage.GetAsync(key, Ct) ?? throw new InvalidOperationException("counter vanished");
                    var next = int.Parse(Text.Of(current.Value)) + 1;
                    try
                    {
                        revisions.Add(await Storage.UpdateAsync(key, Text.Bytes(next.ToString()), current.Revision, Ct));
                        break;
                    }
                    catch (StorageException e) when (e.Code == StorageErrorCode.Conflict)
                    {
                        Interlocked.Increment(ref conflicts);
                    }
                }
            }
        }));
        await Task.WhenAll(tasks).WaitAsync(BulkBound);

        var final = await Storage.GetAsync(key, Ct);
        Assert.NotNull(final);
        Assert.Equal((writers * incrementsEach).ToString(), Text.Of(final.Value));
        var all = revisions.ToList();
        Assert.Equal(writers * incrementsEach, all.Count);
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.All(all, r => Assert.True(r > created));
        Assert.Equal(all.Max(), final.Revision);
        Assert.Equal(final.Revision, await Storage.CurrentRevisionAsync(Ct));
    }
}
