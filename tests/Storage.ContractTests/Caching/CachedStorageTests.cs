using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Caching;
using ClusterRegistry.Infrastructure.Storage.Embedded;
using ClusterRegistry.Infrastructure.Storage.Etcd;
using ClusterRegistry.Infrastructure.Storage.Postgres;
using ClusterRegistry.Tests.StorageContractTests.Etcd;
using ClusterRegistry.Tests.StorageContractTests.Postgres;
using ClusterRegistry.Tests.StorageContractTests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClusterRegistry.Tests.StorageContractTests.Caching;

/// <summary>
/// The storage contract against the watch cache in front of each backend: the cache must be indistinguishable from
/// the store it decorates, except that it may end a slow watcher's stream (the port allows it; the caller re-watches).
/// Compaction goes to the store and to the cache, as the server's compactors do.
/// </summary>
public abstract class CachedStorageContract : ObjectStorageContract
{
    protected abstract Task<IObjectStorage> CreateInnerAsync();

    protected abstract Task CompactInnerAsync(IObjectStorage inner, long revision);

    protected override async Task<IObjectStorage> CreateStorageAsync()
    {
        var cache = CachedStorage.Start(await CreateInnerAsync(), Prefix, new WatchCacheOptions(), NullLogger.Instance);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await cache.WhenReadyAsync(bound.Token);
        return cache;
    }

    protected override async Task CompactAsync(IObjectStorage storage, long revision)
    {
        var cache = (CachedStorage)storage;
        await CompactInnerAsync(cache.Inner, revision);
        cache.Compacted(revision);
    }

    protected override async ValueTask DisposeStorageAsync(IObjectStorage storage)
    {
        var cache = (CachedStorage)storage;
        await cache.DisposeAsync();
        await base.DisposeStorageAsync(cache.Inner);
    }
}

public sealed class CachedEmbeddedStorageTests : CachedStorageContract, IDisposable
{
    private readonly TempDirectory _dir = new();

    protected override async Task<IObjectStorage> CreateInnerAsync() => await EmbeddedStorage.OpenAsync(_dir.Path);

    protected override Task CompactInnerAsync(IObjectStorage inner, long revision) => ((EmbeddedStorage)inner).CompactAsync(revision, CancellationToken.None);

    public void Dispose() => _dir.Dispose();
}

[Requires(Prerequisite.Docker)]
public sealed class CachedEtcdStorageTests(EtcdFixture etcd) : CachedStorageContract, IClassFixture<EtcdFixture>
{
    protected override Task<IObjectStorage> CreateInnerAsync() => Task.FromResult<IObjectStorage>(etcd.CreateStorage());

    protected override Task CompactInnerAsync(IObjectStorage inner, long revision) => ((EtcdStorage)inner).CompactAsync(revision, CancellationToken.None);
}

[Requires(Prerequisite.Docker)]
public sealed class CachedPostgresStorageTests(PostgresFixture postgres) : CachedStorageContract, IClassFixture<PostgresFixture>
{
    protected override async Task<IObjectStorage> CreateInnerAsync() => await postgres.CreateStorageAsync();

    protected override Task CompactInnerAsync(IObjectStorage inner, long revision) => ((PostgresStorage)inner).CompactAsync(revision, CancellationToken.None);
}
