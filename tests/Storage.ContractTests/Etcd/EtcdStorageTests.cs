using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Etcd;

namespace ClusterRegistry.Tests.StorageContractTests.Etcd;

/// <summary>
/// The storage contract against a real etcd: one container for the class, a fresh key prefix per test (so every test
/// starts with an empty store). Tests in a class run one at a time, so revision assertions see only their own writes.
/// </summary>
[Requires(Prerequisite.Docker)]
public sealed class EtcdStorageTests(EtcdFixture etcd) : ObjectStorageContract, IClassFixture<EtcdFixture>
{
    protected override Task<IObjectStorage> CreateStorageAsync() => Task.FromResult<IObjectStorage>(etcd.CreateStorage());

    protected override Task CompactAsync(IObjectStorage storage, long revision) =>
        ((EtcdStorage)storage).CompactAsync(revision, CancellationToken.None);

    /// <summary>
    /// The adapter never ends a watch for a slow consumer: it reads the gRPC stream only as fast as the consumer,
    /// etcd parks the slow watcher and later catches it up from its history (or reports it compacted).
    /// </summary>
    protected override bool SlowWatchersCatchUpWithoutEnding => true;
}
