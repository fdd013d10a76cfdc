using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Embedded;
using ClusterRegistry.Tests.StorageContractTests.Support;

namespace ClusterRegistry.Tests.StorageContractTests.Embedded;

/// <summary>The storage contract against the embedded SQLite store, one fresh data directory per test.</summary>
public sealed class EmbeddedStorageTests : ObjectStorageContract
{
    private readonly TempDirectory _dir = new();

    protected override async Task<IObjectStorage> CreateStorageAsync() => await EmbeddedStorage.OpenAsync(_dir.Path);

    protected override Task CompactAsync(IObjectStorage storage, long revision) =>
        ((EmbeddedStorage)storage).CompactAsync(revision, CancellationToken.None);

    /// <summary>The embedded store replays its history to a watcher whose buffer overflowed, on the same stream.</summary>
    protected override bool SlowWatchersCatchUpWithoutEnding => true;

    protected override async ValueTask DisposeStorageAsync(IObjectStorage storage)
    {
        try
        {
            await base.DisposeStorageAsync(storage);
        }
        finally
        {
            _dir.Dispose();
        }
    }

    [Fact]
    public async Task Write_ConcurrentMixOfGoodAndRefusedWrites_RefusedOnesFailAlone()
    {
        // The group commit stages concurrent writes in one transaction; each must still be refused on its own:
        // a duplicate create or a stale update among good writes fails alone, and every good write lands.
        var stale = await Storage.CreateAsync("clusters/stale", Text.Bytes("v1"), Ct);
        await Storage.UpdateAsync("clusters/stale", Text.Bytes("v2"), stale, Ct);
        var writes = new List<Func<Task<StorageErrorCode?>>>();
        for (var i = 0; i < 40; i++)
        {
            var key = $"clusters/good-{i:D2}";
            writes.Add(() => Outcome(Storage.CreateAsync(key, Text.Bytes(key), Ct)));
            if (i % 5 == 0) writes.Add(() => Outcome(Storage.CreateAsync("clusters/duplicate", Text.Bytes("dup"), Ct)));
            if (i % 5 == 2) writes.Add(() => Outcome(Storage.UpdateAsync("clusters/stale", Text.Bytes("lost"), stale, Ct)));
        }
        var outcomes = await Task.WhenAll(writes.Select(w => Task.Run(w))).WaitAsync(BulkBound);

        var tally = string.Join(", ", outcomes.GroupBy(o => o?.ToString() ?? "ok").Select(g => $"{g.Key}: {g.Count()}"));
        Assert.True(outcomes.Count(o => o is null) == 40 + 1, $"expected 41 good writes; outcomes: {tally}");
        Assert.Equal(8 - 1, outcomes.Count(o => o == StorageErrorCode.KeyExists));
        Assert.Equal(8, outcomes.Count(o => o == StorageErrorCode.Conflict));
        for (var i = 0; i < 40; i++)
            Assert.Equal($"clusters/good-{i:D2}", Text.Of((await Storage.GetAsync($"clusters/good-{i:D2}", Ct))!.Value));
        Assert.Equal("v2", Text.Of((await Storage.GetAsync("clusters/stale", Ct))!.Value));
        Assert.Equal("dup", Text.Of((await Storage.GetAsync("clusters/duplicate", Ct))!.Value));

        static async Task<StorageErrorCode?> Outcome(ValueTask<long> write)
        {
            try
            {
                await write;
                return null;
            }
            catch (StorageException e) when (e.Code is StorageErrorCode.KeyExists or StorageErrorCode.Conflict)
            {
                return e.Code;
            }
        }
    }
}
