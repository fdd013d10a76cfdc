using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Embedded;
using ClusterRegistry.Tests.StorageContractTests.Support;

namespace ClusterRegistry.Tests.StorageContractTests.Embedded;

/// <summary>Embedded-only behaviour: the data directory outlives the process, and one process owns it.</summary>
public sealed class EmbeddedStorageDataDirectoryTests : IDisposable
{
    private const string Prefix = "clusters/";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task OpenAsync_ReopenedDirectory_KeepsObjectsAndRevisionCounter()
    {
        long a2, c1, last;
        await using (var store = await EmbeddedStorage.OpenAsync(_dir.Path))
        {
            var a1 = await store.CreateAsync("clusters/a", Text.Bytes("a1"), default);
            var b1 = await store.CreateAsync("clusters/b", Text.Bytes("b1"), default);
            a2 = await store.UpdateAsync("clusters/a", Text.Bytes("a2"), a1, default);
            await store.DeleteAsync("clusters/b", b1, default);
            c1 = await store.CreateAsync("clusters/c", Text.Bytes("c1"), default);
            last = await store.CreateAsync("other/x", Text.Bytes("x"), default);
            Assert.Equal(last, await store.CurrentRevisionAsync(default));
        }

        await using (var reopened = await EmbeddedStorage.OpenAsync(_dir.Path))
        {
            Assert.Equal(last, await reopened.CurrentRevisionAsync(default));
            var a = await reopened.GetAsync("clusters/a", default);
            Assert.NotNull(a);
            Assert.Equal(("a2", a2), (Text.Of(a.Value), a.Revision));
            Assert.Null(await reopened.GetAsync("clusters/b", default));

            var page = await reopened.ListAsync(Prefix, new ListRange(), default);
            Assert.Equal(["clusters/a", "clusters/c"], page.Items.Select(i => i.Key).ToList());
            Assert.Equal(last, page.Revision);

            // The counter continues upward, and CAS works against revisions from before the restart.
            var next = await reopened.CreateAsync("clusters/d", Text.Bytes("d1"), default);
            Assert.True(next > last, $"revision after reopen {next} <= {last}");
            var c2 = await reopened.UpdateAsync("clusters/c", Text.Bytes("c2"), c1, default);
            Assert.True(c2 > next);
            await Assert.ThrowsAsync<StorageException>(async () => await reopened.CreateAsync("clusters/a", Text.Bytes("again"), default));
        }
    }

    [Fact]
    public async Task OpenAsync_ReopenedDirectory_KeepsHistoryAndCompaction()
    {
        var revisions = new List<long>();
        await using (var store = await EmbeddedStorage.OpenAsync(_dir.Path))
        {
            for (var i = 0; i < 6; i++)
                revisions.Add(await store.CreateAsync($"clusters/k{i}", Text.Bytes($"v{i}"), default));
            revisions.Add(await store.UpdateAsync("clusters/k0", Text.Bytes("v0b"), revisions[0], default));
            await store.CompactAsync(revisions[2], default);
        }

        await using var reopened = await EmbeddedStorage.OpenAsync(_dir.Path);
        Assert.Equal(revisions[2], reopened.CompactedRevision);

        // History after the compaction point is replayed from disk…
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = new List<StorageEvent>();
        await foreach (var e in reopened.WatchAsync(Prefix, revisions[2], cts.Token))
        {
            events.Add(e);
            if (events.Count == 4) break;
        }
        Assert.Equal(revisions.Skip(3).ToList(), events.Select(e => e.Revision).ToList());
        Assert.Equal(StorageEventType.Modified, events[^1].Type);
        Assert.Equal("v0", Text.Of(events[^1].PrevValue));

        // …and reads before it stay expired.
        var ex = await Assert.ThrowsAsync<StorageException>(async () =>
            await reopened.ListAsync(Prefix, new ListRange(Revision: revisions[0]), default));
        Assert.Equal(StorageErrorCode.Expired, ex.Code);
        var old = await reopened.ListAsync(Prefix, new ListRange(Revision: revisions[2]), default);
        Assert.Equal(["clusters/k0", "clusters/k1", "clusters/k2"], old.Items.Select(i => i.Key).ToList());
    }

    [Fact]
    public async Task OpenAsync_DirectoryAlreadyOpen_ThrowsInvalidOperationMentioningLock()
    {
        await using (var owner = await EmbeddedStorage.OpenAsync(_dir.Path))
        {
            var created = await owner.CreateAsync("clusters/a", Text.Bytes("a1"), default);

            var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            {
                await using var second = await EmbeddedStorage.OpenAsync(_dir.Path);
            });
            Assert.Contains("lock", ex.Message, StringComparison.OrdinalIgnoreCase);

            // The failed open did not disturb the owner.
            Assert.Equal(created, (await owner.GetAsync("clusters/a", default))?.Revision);
            await owner.CreateAsync("clusters/b", Text.Bytes("b1"), default);
        }

        // Once the owner has closed, the directory can be opened again.
        await using var next = await EmbeddedStorage.OpenAsync(_dir.Path);
        Assert.Equal(2, (await next.ListAsync(Prefix, new ListRange(), default)).Items.Count);
    }
}
