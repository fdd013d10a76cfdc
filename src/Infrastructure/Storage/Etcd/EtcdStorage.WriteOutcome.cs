using ClusterRegistry.Application.Abstractions;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Mvccpb;

namespace ClusterRegistry.Infrastructure.Storage.Etcd;

/// <summary>
/// Learning whether a write whose first attempt went unanswered was applied, once a later attempt found its compare false.
/// </summary>
/// <remarks>
/// <para>
/// Why a write may be sent again although an earlier attempt may have been applied: every write here is one
/// transaction guarded by a compare, and the compare admits at most one application of it.
/// </para>
/// <para>
/// An update or delete compares the key's mod revision with the revision the caller read. Mod revisions only grow,
/// so once any write to the key has been applied (this one included) the compare is false for good: of all attempts
/// at most one applies, and only as the key's very next modification after that revision. If a later attempt finds
/// the compare false, the key's history answers which it was: the first event after the expected revision is this
/// write (a put of these exact bytes, or a delete) or it is another writer's, in which case this write never applied
/// and never will. The first event is in etcd's history unless compacted away, then the outcome stays unknown.
/// </para>
/// <para>
/// The bytes of that event do not tell whose it is: another writer may have put identical bytes (two writers that
/// read the same counter and both increment it), and taking its write for this one loses this one. So every update
/// and delete also puts a nonce of its own, in the same transaction, into one of <see cref="NonceSlots"/> keys under
/// the prefix (see <see cref="NewNonce"/>); the write applied at a revision exactly when, read at that revision, its
/// slot was last written at that revision and holds its nonce. The slots are shared by all writers and all replicas
/// and simply overwritten, so they do not accumulate.
/// </para>
/// <para>
/// A create puts no nonce: its value is unique among all creates (the port requires it of callers, see
/// <see cref="IObjectStorage.CreateAsync"/>; a cluster's carries its fresh uid), so a creation of the key with exactly
/// its bytes is its own, and the transaction writes one key instead of two (one put less in etcd's store, one event
/// less for every watcher of the prefix, the watch cache's included).
/// </para>
/// <para>
/// A create compares the key's create revision with 0, which is true again after a delete, so its compare alone does
/// not make it apply at most once. Its retry is still safe for the way attempts are lost on a leader failure: a
/// request that a member received is proposed at once, and raft orders every surviving entry of the old term before
/// the first entry of the new one, so an earlier attempt that survives is applied before the retry (whose compare
/// then fails, and the history shows this create: a creation with these exact bytes, which no other create puts),
/// and one that did not survive is gone. The one case the retry cannot rule out is an attempt that is proposed
/// only after the retry has been applied and the object deleted again, i.e. a request held up in the network or in a
/// member for longer than a client round trip plus a delete (and not dropped by the cancellation sent once the
/// operation is over): it would create the object again. That risk is accepted for a failover in about 1.5 s instead
/// of a 504 after 5 s; a client of kube-apiserver that sends a create again after a timeout runs the same one.
/// </para>
/// </remarks>
public sealed partial class EtcdStorage
{
    /// <summary>
    /// The revision this create was applied at if an earlier attempt applied it, null if it was not applied: the key
    /// now exists as <paramref name="current"/>, and every attempt was sent after revision <paramref name="floor"/>.
    /// </summary>
    private async Task<long?> OwnCreateRevisionAsync(
        string key, ByteString etcdKey, ReadOnlyMemory<byte> value, long floor, KeyValue current, DateTime deadline, CancellationToken ct)
    {
        // The key has existed since before the first attempt was sent: none of them can have created it.
        if (current.CreateRevision <= floor) return null;
        // A creation with exactly these bytes is this create's: no other create puts the same value (IObjectStorage.CreateAsync).
        var answer = await FirstEventAsync(key, etcdKey, floor + 1,
            e => IsCreateOf(e, value) || e.Kv.ModRevision >= current.CreateRevision, deadline, ct);
        return IsCreateOf(answer, value) ? answer.Kv.ModRevision : null;
    }

    /// <summary>
    /// The revision this compare-and-swap was applied at if an earlier attempt applied it, null if it was not: the
    /// key's first modification after <paramref name="expectedRevision"/> is either this write or proves it never
    /// applied. <paramref name="current"/> is the key (keys only) when the compare failed, null if it did not exist.
    /// </summary>
    private async Task<long?> OwnSwapRevisionAsync(
        string key, ByteString etcdKey, long expectedRevision, RequestOp operation, WriteNonce nonce, KeyValue? current, DateTime deadline, CancellationToken ct)
    {
        // Had an attempt applied, it would be a change after the expected revision, made before the compare failed.
        // Without one (a key that did not exist then, or has not changed since) the history is not waited on.
        var changed = current is not null
            ? current.ModRevision > expectedRevision
            : await ExistedAtAsync(key, etcdKey, expectedRevision, deadline, ct);
        if (!changed) return null;
        var next = await FirstEventAsync(key, etcdKey, expectedRevision + 1, _ => true, deadline, ct);
        var own = operation.RequestDeleteRange is not null
            ? next.Type == Event.Types.EventType.Delete
            : next.Type == Event.Types.EventType.Put && !IsCreate(next) && next.Kv.Value.Span.SequenceEqual(operation.RequestPut.Value.Span);
        return own && await AppliedAtAsync(key, nonce, next.Kv.ModRevision, deadline, ct) ? next.Kv.ModRevision : null;
    }

    /// <summary>How many nonce slots the guarded writes share (a few keys, overwritten for ever).</summary>
    internal const int NonceSlots = 64;

    /// <summary>Where the nonce slots live: under the prefix (prefix-scoped etcd roles cover them), outside any resource's keys.</summary>
    internal const string NonceArea = ".write-nonces/";

    /// <summary>A guarded write's own mark: a fresh random value and the slot key it is put into.</summary>
    private readonly record struct WriteNonce(ByteString Slot, ByteString Value);

    private WriteNonce NewNonce()
    {
        var value = Guid.NewGuid().ToByteArray();
        var slot = (value[0] | value[1] << 8) % NonceSlots;
        return new WriteNonce(EtcdKey(NonceArea + slot.ToString(System.Globalization.CultureInfo.InvariantCulture)), ByteString.CopyFrom(value));
    }

    /// <summary>The put that marks the transaction as this write's, run in its success branch.</summary>
    private static RequestOp MarkOf(WriteNonce nonce) => new() { RequestPut = new PutRequest { Key = nonce.Slot, Value = nonce.Value } };

    /// <summary>Whether the transaction at <paramref name="revision"/> was this write's: its nonce slot was written then, with its nonce.</summary>
    private async Task<bool> AppliedAtAsync(string key, WriteNonce nonce, long revision, DateTime deadline, CancellationToken ct)
    {
        var request = new RangeRequest { Key = nonce.Slot, Revision = revision };
        try
        {
            var (response, _) = await CallAsync(key, (headers, d, token) => _client.GetAsync(request, headers, d, token), CallKind.PointRead, deadline, ct);
            return response.Kvs.Count > 0 && response.Kvs[0].ModRevision == revision && response.Kvs[0].Value == nonce.Value;
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.Expired)
        {
            throw new StorageException(StorageErrorCode.Timeout, key,
                "etcd did not answer the write in time and its history no longer tells whether it was applied", inner: e);
        }
    }

    /// <summary>Whether the key existed, last modified, at <paramref name="revision"/> (a key gone now was deleted since).</summary>
    private async Task<bool> ExistedAtAsync(string key, ByteString etcdKey, long revision, DateTime deadline, CancellationToken ct)
    {
        var request = new RangeRequest { Key = etcdKey, Revision = revision, KeysOnly = true };
        try
        {
            var (response, _) = await CallAsync(key, (headers, d, token) => _client.GetAsync(request, headers, d, token), CallKind.PointRead, deadline, ct);
            return response.Kvs.Count > 0 && response.Kvs[0].ModRevision == revision;
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.TooLargeRevision)
        {
            return false; // a revision etcd has not reached: no write can have been compared against it
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.Expired)
        {
            throw new StorageException(StorageErrorCode.Timeout, key,
                "etcd did not answer the write in time and its history no longer tells whether it was applied", inner: e);
        }
    }

    private static bool IsCreateOf(Event e, ReadOnlyMemory<byte> value) => IsCreate(e) && e.Kv.Value.Span.SequenceEqual(value.Span);

    /// <summary>
    /// The first event on the key from <paramref name="startRevision"/> on that <paramref name="isAnswer"/> accepts,
    /// read from etcd's history with a watch (the caller knows such an event exists). Each attempt is bounded and the
    /// next goes to another member, as for any call. Throws Timeout, "outcome unknown", when the history has been
    /// compacted or cannot be read before the deadline.
    /// </summary>
    private async Task<Event> FirstEventAsync(string key, ByteString etcdKey, long startRevision, Func<Event, bool> isAnswer, DateTime deadline, CancellationToken ct)
    {
        var attemptTimeout = _attemptTimeout;
        Exception? error = null;
        while (DateTime.UtcNow < deadline)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct, _disposed.Token);
            cts.CancelAfter(Min(attemptTimeout, Max(deadline - DateTime.UtcNow, TimeSpan.Zero)));
            try
            {
                using var call = _watchClient.Watch(cancellationToken: cts.Token);
                var create = new WatchCreateRequest { Key = etcdKey, StartRevision = Math.Max(startRevision, 1) };
                await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = create }, cts.Token);
                while (await call.ResponseStream.MoveNext(cts.Token))
                {
                    var response = call.ResponseStream.Current;
                    if (response.CompactRevision != 0 || response.Canceled)
                        throw new StorageException(StorageErrorCode.Timeout, key,
                            "etcd did not answer the write in time and its history no longer tells whether it was applied");
                    foreach (var e in response.Events)
                        if (isAnswer(e)) return e;
                }
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException or IOException or HttpRequestException && !ct.IsCancellationRequested)
            {
                error = e;
            }
            catch (RpcException e)
            {
                throw new OperationCanceledException(e.Message, e, ct);
            }
            ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
            attemptTimeout *= 2;
            await Task.Delay(RetryPause, ct);
        }
        throw new StorageException(StorageErrorCode.Timeout, key, "etcd did not answer the write in time nor tell whether it was applied", inner: error);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
