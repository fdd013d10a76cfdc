using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Infrastructure.Storage.Etcd;

public sealed partial class EtcdStorage
{
    /// <summary>Leases as keys under <c>{prefix}/leases/</c> bound to etcd leases, on this store's connection (<see cref="EtcdLeaseStore"/>).</summary>
    public ILeaseStore Leases() => new EtcdLeaseStore(_channel, _root + "leases/", _timeout);
}
