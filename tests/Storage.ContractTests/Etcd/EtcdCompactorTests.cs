using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage;
using ClusterRegistry.Infrastructure.Storage.Compaction;
using ClusterRegistry.Infrastructure.Storage.Etcd;
using Microsoft.Extensions.Logging.Abstractions;
using ClusterRegistry.Tests.StorageContractTests.Support;

namespace ClusterRegistry.Tests.StorageContractTests.Etcd;

/// <summary>
/// kube-apiserver-style compaction on etcd: a round compacts at the revision the previous round saw, and replicas
/// coordinate through the version of compact_rev_key. Own container: compaction is etcd-wide.
/// </summary>
[Requires(Prerequisite.Docker)]
public sealed class EtcdCompactorTests(EtcdFixture etcd) : IClassFixture<EtcdFixture>
{
    private static async Task<StorageErrorCode?> ListErrorAt(EtcdStorage store, long revision)
    {
        try
        {
            await store.ListAsync("clusters/", new ListRange(Revision: revision), default);
            return null;
        }
        catch (StorageException e)
        {
            return e.Code;
        }
    }

    [Fact]
    public async Task CompactRound_CompactsAtThePreviousRoundsRevision_OnlyForTheReplicaThatIsCurrent()
    {
        await using var store = etcd.CreateStorage();
        var first = await store.CreateAsync("clusters/a", Text.Bytes("a1"), default);

        // Round 1 records the current revision and compacts nothing.
        var (version, seen) = await store.CompactRoundAsync(0, 0, default);
        Assert.True(seen >= first);
        Assert.Null(await ListErrorAt(store, first));

        var second = await store.CreateAsync("clusters/b", Text.Bytes("b1"), default);

        // Another replica that has not seen round 1 loses this round: no compaction, it adopts the new version.
        var (otherVersion, _) = await store.CompactRoundAsync(0, second, default);
        Assert.Equal(version, otherVersion);
        Assert.Null(await ListErrorAt(store, first));

        // Round 2 compacts at what round 1 saw: older revisions expire, that one stays readable.
        (version, _) = await store.CompactRoundAsync(version, seen, default);
        Assert.Equal(StorageErrorCode.Expired, await ListErrorAt(store, first - 1));
        Assert.Null(await ListErrorAt(store, seen));
        Assert.Equal(2, (await store.ListAsync("clusters/", new ListRange(), default)).Items.Count);
        Assert.True(version >= 2);
    }

    [Fact]
    public async Task Compactor_RunsEachInterval()
    {
        await using var store = etcd.CreateStorage();
        var old = await store.CreateAsync("clusters/a", Text.Bytes("a1"), default);
        await store.CreateAsync("clusters/b", Text.Bytes("b1"), default);

        using var compactor = new HistoryCompactor(StorageBackends.Compaction(store)!, TimeSpan.FromMilliseconds(200),
            NullLogger<HistoryCompactor>.Instance);
        await compactor.StartAsync(default);
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (await ListErrorAt(store, old) != StorageErrorCode.Expired)
                await Task.Delay(100, bound.Token);
        }
        finally
        {
            await compactor.StopAsync(default);
        }
        Assert.Equal(2, (await store.ListAsync("clusters/", new ListRange(), default)).Items.Count);
    }
}
