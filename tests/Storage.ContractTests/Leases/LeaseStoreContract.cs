using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Embedded;
using ClusterRegistry.Infrastructure.Storage.Etcd;
using ClusterRegistry.Infrastructure.Storage.Postgres;
using ClusterRegistry.Tests.StorageContractTests.Etcd;
using ClusterRegistry.Tests.StorageContractTests.Postgres;
using ClusterRegistry.Tests.StorageContractTests.Support;

namespace ClusterRegistry.Tests.StorageContractTests.Leases;

/// <summary>
/// What the health prober relies on from <see cref="ILeaseStore"/>, per backend: one holder at a time, renewal by
/// the holder, hand-over on release, and hand-over when the holder stops renewing and the lease expires. Each
/// <see cref="ILeaseStore"/> instance plays one replica.
/// </summary>
public abstract class LeaseStoreContract : IAsyncLifetime
{
    private IAsyncDisposable? _storage;
    private Func<ILeaseStore> _replica = null!;

    protected abstract Task<(IAsyncDisposable Storage, Func<ILeaseStore> Replica)> OpenAsync();

    public async Task InitializeAsync() => (_storage, _replica) = await OpenAsync();

    public virtual async Task DisposeAsync()
    {
        if (_storage is not null) await _storage.DisposeAsync();
    }

    [Fact]
    public async Task OneHolder_RenewsWhileOthersAreRefused_ReleaseHandsOver()
    {
        var (a, b) = (_replica(), _replica());
        var ttl = TimeSpan.FromSeconds(30);
        Assert.True(await a.TryAcquireAsync("l", "a", ttl, default));
        Assert.False(await b.TryAcquireAsync("l", "b", ttl, default));
        Assert.True(await a.TryAcquireAsync("l", "a", ttl, default));
        Assert.False(await b.TryAcquireAsync("l", "b", ttl, default));
        // Other names are other leases.
        Assert.True(await b.TryAcquireAsync("other", "b", ttl, default));

        await b.ReleaseAsync("l", "b", default); // not the holder: no effect
        Assert.True(await a.TryAcquireAsync("l", "a", ttl, default));
        await a.ReleaseAsync("l", "a", default);
        Assert.True(await b.TryAcquireAsync("l", "b", ttl, default));
        Assert.False(await a.TryAcquireAsync("l", "a", ttl, default));
    }

    [Fact]
    public async Task HolderStopsRenewing_LeaseExpires_AnotherTakesIt_FormerHolderIsRefused()
    {
        var (a, b) = (_replica(), _replica());
        var ttl = TimeSpan.FromSeconds(2);
        Assert.True(await a.TryAcquireAsync("l", "a", ttl, default));
        Assert.False(await b.TryAcquireAsync("l", "b", ttl, default));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await b.TryAcquireAsync("l", "b", ttl, default))
        {
            Assert.True(DateTime.UtcNow < deadline, "the lease did not expire within 30 s");
            await Task.Delay(200);
        }
        Assert.False(await a.TryAcquireAsync("l", "a", ttl, default));
    }
}

public sealed class EmbeddedLeaseStoreTests : LeaseStoreContract
{
    private readonly TempDirectory _dir = new();

    protected override async Task<(IAsyncDisposable, Func<ILeaseStore>)> OpenAsync()
    {
        var storage = await EmbeddedStorage.OpenAsync(_dir.Path);
        return (storage, () => EmbeddedLeaseStore.For(storage));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task StoreFileFromBeforeLeases_GetsTheTableOnFirstUse()
    {
        await using var storage = await EmbeddedStorage.OpenAsync(Path.Combine(_dir.Path, "old"));
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={storage.DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var drop = connection.CreateCommand();
            drop.CommandText = "DROP TABLE leases";
            await drop.ExecuteNonQueryAsync();
        }
        Assert.True(await EmbeddedLeaseStore.For(storage).TryAcquireAsync("l", "a", TimeSpan.FromSeconds(30), default));
        Assert.False(await EmbeddedLeaseStore.For(storage).TryAcquireAsync("l", "b", TimeSpan.FromSeconds(30), default));
    }
}

[Requires(Prerequisite.Docker)]
public sealed class EtcdLeaseStoreTests(EtcdFixture etcd) : LeaseStoreContract, IClassFixture<EtcdFixture>
{
    protected override Task<(IAsyncDisposable, Func<ILeaseStore>)> OpenAsync()
    {
        var storage = etcd.CreateStorage();
        return Task.FromResult<(IAsyncDisposable, Func<ILeaseStore>)>((storage, storage.Leases));
    }
}

[Requires(Prerequisite.Docker)]
public sealed class PostgresLeaseStoreTests(PostgresFixture postgres) : LeaseStoreContract, IClassFixture<PostgresFixture>
{
    protected override async Task<(IAsyncDisposable, Func<ILeaseStore>)> OpenAsync()
    {
        var storage = await postgres.CreateStorageAsync();
        return (storage, storage.Leases);
    }
}
