using System.Collections.Concurrent;
using ClusterRegistry.Application.Abstractions;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace ClusterRegistry.Infrastructure.Storage.Etcd;

/// <summary>
/// A lease is a key bound to an etcd lease with the lease's duration as TTL: it is created only when absent (a
/// transaction on its create revision), kept alive by its holder, and deleted by etcd itself when the holder stops
/// renewing, so expiry is the etcd cluster's clock and a crashed holder's key goes away without anyone's help.
/// </summary>
internal sealed class EtcdLeaseStore(GrpcChannel channel, string keyRoot, TimeSpan timeout) : ILeaseStore
{
    private readonly Lease.LeaseClient _leases = new(channel);
    private readonly KV.KVClient _kv = new(channel);
    /// <summary>The etcd lease this process holds per lease name.</summary>
    private readonly ConcurrentDictionary<string, long> _held = new();

    public async ValueTask<bool> TryAcquireAsync(string name, string holder, TimeSpan duration, CancellationToken ct)
    {
        var key = ByteString.CopyFromUtf8(keyRoot + name);
        try
        {
            if (_held.TryGetValue(name, out var id))
            {
                if (await KeepAliveAsync(id, ct) && await StillOursAsync(key, holder, id, ct)) return true;
                _held.TryRemove(name, out _);
                await RevokeAsync(id, ct);
            }
            var grant = await _leases.LeaseGrantAsync(new LeaseGrantRequest { TTL = (long)Math.Ceiling(duration.TotalSeconds) },
                deadline: Deadline(), cancellationToken: ct);
            var txn = new TxnRequest();
            txn.Compare.Add(new Compare { Key = key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFromUtf8(holder), Lease = grant.ID } });
            var response = await _kv.TxnAsync(txn, deadline: Deadline(), cancellationToken: ct);
            if (response.Succeeded)
            {
                _held[name] = grant.ID;
                return true;
            }
            await RevokeAsync(grant.ID, ct);
            return false;
        }
        catch (RpcException e)
        {
            throw new StorageException(StorageErrorCode.Unreachable, keyRoot + name, $"lease {name}: {e.Status.Detail}", inner: e);
        }
    }

    public async ValueTask ReleaseAsync(string name, string holder, CancellationToken ct)
    {
        if (!_held.TryRemove(name, out var id)) return;
        try
        {
            // Revoking deletes the key at once: the next replica takes over without waiting for the TTL.
            await RevokeAsync(id, ct);
        }
        catch (RpcException e)
        {
            throw new StorageException(StorageErrorCode.Unreachable, keyRoot + name, $"lease {name}: {e.Status.Detail}", inner: e);
        }
    }

    private DateTime Deadline() => DateTime.UtcNow + timeout;

    /// <summary>One keep-alive round on etcd's keep-alive stream; a TTL of zero means the lease has already expired.</summary>
    private async Task<bool> KeepAliveAsync(long id, CancellationToken ct)
    {
        using var call = _leases.LeaseKeepAlive(deadline: Deadline(), cancellationToken: ct);
        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id }, ct);
        await call.RequestStream.CompleteAsync();
        return await call.ResponseStream.MoveNext(ct) && call.ResponseStream.Current.TTL > 0;
    }

    private async Task<bool> StillOursAsync(ByteString key, string holder, long id, CancellationToken ct)
    {
        var range = await _kv.RangeAsync(new RangeRequest { Key = key }, deadline: Deadline(), cancellationToken: ct);
        return range.Kvs.Count == 1 && range.Kvs[0].Lease == id && range.Kvs[0].Value.ToStringUtf8() == holder;
    }

    private async Task RevokeAsync(long id, CancellationToken ct)
    {
        try
        {
            await _leases.LeaseRevokeAsync(new LeaseRevokeRequest { ID = id }, deadline: Deadline(), cancellationToken: ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // Already expired: nothing to give up.
        }
    }
}
