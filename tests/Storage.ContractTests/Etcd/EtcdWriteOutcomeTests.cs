using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Etcd;
using ClusterRegistry.Tests.StorageContractTests.Support;

namespace ClusterRegistry.Tests.StorageContractTests.Etcd;

/// <summary>
/// Writes sent again after an attempt went unanswered (the failover to a new etcd leader): the store is given two
/// "members", etcd through a <see cref="TcpProxy"/> that loses answers or requests, and etcd directly, so attempts
/// alternate between a path that fails silently and one that works. A write must be reported exactly as it happened:
/// applied once at the revision reported, or not applied and reported as a conflict, never both or neither.
/// </summary>
[Requires(Prerequisite.Docker)]
public sealed class EtcdWriteOutcomeTests(EtcdFixture etcd) : IClassFixture<EtcdFixture>, IAsyncLifetime
{
    private const int Rounds = 6;
    private readonly TestScope _scope = new(TimeSpan.FromMinutes(5));
    private readonly string _prefix = EtcdFixture.NewPrefix();

    private CancellationToken Ct => _scope.Ct;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    private T Own<T>(T disposable) where T : IAsyncDisposable => _scope.Own(disposable);

    /// <summary>A store whose calls go round robin through <paramref name="proxy"/> and straight to etcd.</summary>
    private EtcdStorage StoreThrough(TcpProxy proxy)
    {
        var options = etcd.Options(_prefix);
        options.Servers = [proxy.Endpoint, etcd.Endpoint];
        options.RequestTimeout = TimeSpan.FromSeconds(30);
        options.AttemptTimeout = TimeSpan.FromMilliseconds(200);
        return Own(new EtcdStorage(options));
    }

    [Fact]
    public async Task AnswersLost_EveryWriteReportedAppliedOnce_AtItsRevision()
    {
        var proxy = Own(new TcpProxy(etcd.Endpoint));
        var store = StoreThrough(proxy);
        var direct = Own(etcd.CreateStorage(_prefix));
        // Both connections up first, so that requests through the proxy reach etcd once its answers are dropped.
        for (var i = 0; i < 4; i++) await store.GetAsync("clusters/warm-up", Ct);
        var start = await direct.CurrentRevisionAsync(Ct);
        proxy.DropAnswers = true;

        var reported = new List<(StorageEventType Type, string Key, long Revision)>();
        for (var i = 0; i < Rounds; i++)
        {
            var key = $"clusters/k{i}";
            var created = await store.CreateAsync(key, Text.Bytes($"created-{i}"), Ct);
            Assert.Equal(created, (await direct.GetAsync(key, Ct))?.Revision);
            var updated = await store.UpdateAsync(key, Text.Bytes($"updated-{i}"), created, Ct);
            var read = await direct.GetAsync(key, Ct);
            Assert.Equal((updated, $"updated-{i}"), (read?.Revision, read is null ? null : Text.Of(read.Value)));
            var deleted = await store.DeleteAsync(key, updated, Ct);
            Assert.Null(await direct.GetAsync(key, Ct));
            reported.AddRange([(StorageEventType.Added, key, created), (StorageEventType.Modified, key, updated), (StorageEventType.Deleted, key, deleted)]);
        }

        // etcd's history holds exactly these writes, each once, at the revisions reported.
        await using var reader = new WatchReader(direct, "clusters/k", start);
        var history = await reader.ReadAsync(reported.Count);
        Assert.Equal(reported, history.Select(e => (e.Type, e.Key, e.Revision)).ToList());
        Assert.Equal(reported[^1].Revision, await direct.CurrentRevisionAsync(Ct));
    }

    [Fact]
    public async Task RequestsLost_AnotherWriterGotThereFirst_ConflictReportedAndNothingApplied()
    {
        var proxy = Own(new TcpProxy(etcd.Endpoint) { Mode = ProxyMode.Blackhole });
        var store = StoreThrough(proxy);
        var direct = Own(etcd.CreateStorage(_prefix));
        const string key = "clusters/contended";
        var first = await direct.CreateAsync(key, Text.Bytes("theirs-1"), Ct);
        var current = await direct.UpdateAsync(key, Text.Bytes("theirs-2"), first, Ct);

        for (var i = 0; i < Rounds; i++)
        {
            // Stale revision: whichever attempt reaches etcd finds the compare false, and the history shows the key's
            // next change after it was the other writer's.
            var update = await Assert.ThrowsAsync<StorageException>(async () => await store.UpdateAsync(key, Text.Bytes($"mine-{i}"), first, Ct));
            Assert.Equal(StorageErrorCode.Conflict, update.Code);
            var delete = await Assert.ThrowsAsync<StorageException>(async () => await store.DeleteAsync(key, first, Ct));
            Assert.Equal(StorageErrorCode.Conflict, delete.Code);
            var create = await Assert.ThrowsAsync<StorageException>(async () => await store.CreateAsync(key, Text.Bytes($"mine-{i}"), Ct));
            Assert.Equal(StorageErrorCode.KeyExists, create.Code);
            // Compares that no write could ever have passed (a key that never existed, a revision the key never had):
            // answered as such, not left "unknown" while waiting for a change that will not come.
            var missing = await Assert.ThrowsAsync<StorageException>(async () => await store.DeleteAsync("clusters/never-created", first, Ct));
            Assert.Equal(StorageErrorCode.KeyNotFound, missing.Code);
            var ahead = await Assert.ThrowsAsync<StorageException>(async () => await store.UpdateAsync(key, Text.Bytes($"mine-{i}"), current + 1000, Ct));
            Assert.Equal(StorageErrorCode.Conflict, ahead.Code);
        }

        var stored = await direct.GetAsync(key, Ct);
        Assert.Equal((current, "theirs-2"), (stored?.Revision, stored is null ? null : Text.Of(stored.Value)));
        Assert.Equal(current, await direct.CurrentRevisionAsync(Ct));
    }

    [Fact]
    public async Task RequestsLost_AnotherWriterWroteTheSameBytes_NotTakenForThisWrite()
    {
        // Two writers that read the same state and write the same result (two increments of one counter): the other
        // writer's change is the key's next one after the revision this write expected, with exactly this write's bytes
        // (or a delete, like this one). Only this write's own nonce tells that it never applied. (Creates put no nonce:
        // the port requires their values to be unique, so another writer's create has other bytes, see above.)
        var proxy = Own(new TcpProxy(etcd.Endpoint) { Mode = ProxyMode.Blackhole });
        var store = StoreThrough(proxy);
        var direct = Own(etcd.CreateStorage(_prefix));

        for (var i = 0; i < Rounds; i++)
        {
            var key = $"clusters/same-{i}";
            var created = await direct.CreateAsync(key, Text.Bytes($"created-{i}"), Ct);

            var updated = await direct.UpdateAsync(key, Text.Bytes($"incremented-{i}"), created, Ct);
            var update = await Assert.ThrowsAsync<StorageException>(async () => await store.UpdateAsync(key, Text.Bytes($"incremented-{i}"), created, Ct));
            Assert.Equal(StorageErrorCode.Conflict, update.Code);

            var deleted = await direct.DeleteAsync(key, updated, Ct);
            var delete = await Assert.ThrowsAsync<StorageException>(async () => await store.DeleteAsync(key, updated, Ct));
            Assert.Equal(StorageErrorCode.KeyNotFound, delete.Code);
            Assert.Equal(deleted, await direct.CurrentRevisionAsync(Ct));
        }
    }
}
