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
}
