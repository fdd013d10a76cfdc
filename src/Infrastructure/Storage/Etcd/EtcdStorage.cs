using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using ClusterRegistry.Application.Abstractions;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Mvccpb;

namespace ClusterRegistry.Infrastructure.Storage.Etcd;

/// <summary>
/// The store kube-apiserver uses: etcd v3, with object keys as <c>{prefix}/{key}</c> and resourceVersion = etcd
/// revision (k8s.io/apiserver/pkg/storage/etcd3). Creates and compare-and-swap updates/deletes are single
/// transactions; lists read at one revision; watches are etcd watches on the prefix range with the previous value.
/// Every operation carries a deadline, so an unreachable or stuck etcd surfaces as Unreachable/Timeout instead of a hang;
/// within it, calls fail over between members (EtcdStorage.Calls.cs, EtcdStorage.WriteOutcome.cs).
/// </summary>
public sealed partial class EtcdStorage : IObjectStorage, IAsyncDisposable
{
    /// <summary>The key kube-apiserver's compactors coordinate on (outside any prefix: compaction is cluster-wide).</summary>
    public const string CompactRevisionKey = "compact_rev_key";

    private const long MaxFilterChunk = 10_000;
    private static readonly TimeSpan InitialReconnectBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxReconnectBackoff = TimeSpan.FromSeconds(1);

    private readonly GrpcChannel _channel;
    private readonly EtcdClient _client;
    private readonly KV.KVClient _kv;
    private readonly RangeRequest _revisionRequest;
    private readonly Func<Metadata, DateTime, CancellationToken, Task<RangeResponse>> _revisionCall;
    private readonly Watch.WatchClient _watchClient;
    private readonly string _root;
    private readonly int _rootLength;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _attemptTimeout;
    private readonly CancellationTokenSource _disposed = new();

    private readonly int _memberCount;

    public EtcdStorage(EtcdOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _memberCount = Math.Max(1, options.Servers.Count);
        _root = options.Prefix.TrimEnd('/') + "/";
        _rootLength = Encoding.UTF8.GetByteCount(_root);
        _timeout = options.RequestTimeout;
        _attemptTimeout = options.AttemptTimeout;
        _channel = EtcdChannel.Create(options);
        var invoker = _channel.CreateCallInvoker();
        _client = new EtcdClient(invoker);
        _kv = new KV.KVClient(invoker);
        _revisionRequest = new RangeRequest { Key = EtcdKey(""), CountOnly = true };
        _revisionCall = CallRevision;
        _watchClient = new Watch.WatchClient(invoker);
    }

    public string Name => "etcd";

    /// <summary>The etcd key prefix every object key gets, ending in a slash.</summary>
    public string KeyRoot => _root;

    // ---------------------------------------------------------------- reads

    public async ValueTask<StoredObject?> GetAsync(string key, CancellationToken ct)
    {
        var request = new RangeRequest { Key = EtcdKey(key) };
        var response = await CallAsync(key, (headers, deadline, token) => _client.GetAsync(request, headers, deadline, token), CallKind.PointRead, ct);
        Observe(response.Header);
        return response.Kvs.Count == 0 ? null : ToObject(response.Kvs[0]);
    }

    /// <summary>No cache: the latest state is at least that new.</summary>
    public ValueTask<StoredObject?> GetAsync(string key, long minRevision, CancellationToken ct) => GetAsync(key, ct);

    public async ValueTask<StoredPage> ListAsync(string prefix, ListRange range, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(range.Revision);
        ArgumentOutOfRangeException.ThrowIfNegative(range.Limit);
        var (start, end) = PrefixRange(prefix);
        if (range.StartAfterKey is { } after)
        {
            var afterKey = Utf8(_root + after + "\0");
            if (CompareBytes(afterKey, start) > 0) start = afterKey;
        }

        var revision = range.Revision;
        var items = new List<StoredObject>();
        long chunk = range.Limit;
        try
        {
            if (CompareBytes(start, end) >= 0)
            {
                // Nothing can be in range; still validate the revision the way a real read would.
                var probe = await RangeAsync(prefix, new RangeRequest { Key = EtcdKey(""), Revision = revision, CountOnly = true }, ct);
                return new StoredPage(items, revision == 0 ? probe.Header.Revision : revision, false, null);
            }
            while (true)
            {
                var request = new RangeRequest { Key = ByteString.CopyFrom(start), RangeEnd = ByteString.CopyFrom(end), Revision = revision, Limit = chunk };
                var response = await RangeAsync(prefix, request, ct);
                // Later chunks read at the same revision, so the page is one consistent snapshot.
                if (revision == 0) revision = response.Header.Revision;

                var examined = 0;
                var full = false;
                foreach (var kv in response.Kvs)
                {
                    if (range.Limit > 0 && items.Count == range.Limit)
                    {
                        full = true;
                        break;
                    }
                    examined++;
                    var item = ToObject(kv);
                    if (range.Filter is null || range.Filter(item)) items.Add(item);
                }
                if (full) return new StoredPage(items, revision, true, null);
                if (!response.More) return new StoredPage(items, revision, false, null);
                if (items.Count == range.Limit)
                {
                    // Keys remain after the last one examined; their count is only meaningful without a filter.
                    long? remaining = range.Filter is null ? response.Count - examined : null;
                    return new StoredPage(items, revision, true, remaining);
                }
                // The filter dropped items: read on after the last key examined, in growing chunks (as etcd3's store does).
                start = Utf8(Encoding.UTF8.GetString(response.Kvs[^1].Key.Span) + "\0");
                chunk = Math.Min(chunk * 2, Math.Max(MaxFilterChunk, range.Limit));
            }
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.Expired)
        {
            throw new StorageException(StorageErrorCode.Expired, prefix, "required revision has been compacted",
                await CompactedRevisionAsync(ct), e.InnerException);
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.TooLargeRevision)
        {
            throw new StorageException(StorageErrorCode.TooLargeRevision, prefix, revision.ToString(),
                await CurrentRevisionAsync(ct), e.InnerException);
        }
    }

    public async ValueTask<long> CurrentRevisionAsync(CancellationToken ct)
    {
        var response = await CallAsync("", _revisionCall, CallKind.PointRead, ct);
        Observe(response.Header);
        return response.Header.Revision;
    }

    /// <summary>False: other clients write to the same etcd, so each answer is a linearizable read from it.</summary>
    public bool RevisionInMemory => false;

    /// <summary>
    /// One attempt of <see cref="CurrentRevisionAsync"/>: a linearizable (not serializable) count of one key, whose
    /// header carries the latest revision committed when etcd's leader confirmed its leadership after the request
    /// arrived. The request and the delegate are made once, and the call goes to etcd's KV stub directly: this runs
    /// for every burst of consistent reads.
    /// </summary>
    private Task<RangeResponse> CallRevision(Metadata headers, DateTime deadline, CancellationToken token) =>
        _kv.RangeAsync(_revisionRequest, headers, deadline, token).ResponseAsync;

    private async Task<RangeResponse> RangeAsync(string key, RangeRequest request, CancellationToken ct)
    {
        var response = await CallAsync(key, (headers, deadline, token) => _client.GetAsync(request, headers, deadline, token), CallKind.RangeRead, ct);
        Observe(response.Header);
        return response;
    }

    // ---------------------------------------------------------------- writes

    public async ValueTask<long> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken ct)
    {
        var etcdKey = EtcdKey(key);
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare
        {
            Key = etcdKey,
            Target = Compare.Types.CompareTarget.Create,
            Result = Compare.Types.CompareResult.Equal,
            CreateRevision = 0,
        });
        // No nonce (unlike updates and deletes): a create's value is unique (IObjectStorage.CreateAsync), so the value
        // itself tells an earlier attempt of this create from anyone else's, and the transaction writes one key.
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = etcdKey, Value = ByteString.CopyFrom(value.Span) } });
        // The existing key's revisions, to tell an earlier attempt of this create from someone else's (EtcdStorage.WriteOutcome.cs).
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = etcdKey, KeysOnly = true } });
        var floor = Volatile.Read(ref _observedRevision);
        var deadline = DateTime.UtcNow + _timeout;
        var (response, uncertain) = await CallAsync(key, (headers, d, token) => _client.TransactionAsync(txn, headers, d, token), CallKind.GuardedWrite, deadline, ct);
        Observe(response.Header);
        if (response.Succeeded) return response.Header.Revision;
        var current = response.Responses.Count > 0 && response.Responses[0].ResponseRange?.Kvs.Count > 0 ? response.Responses[0].ResponseRange.Kvs[0] : null;
        if (uncertain && current is not null && await OwnCreateRevisionAsync(key, etcdKey, value, floor, current, deadline, ct) is { } own) return own;
        throw new StorageException(StorageErrorCode.KeyExists, key, "key exists");
    }

    public ValueTask<long> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedRevision, CancellationToken ct)
    {
        var etcdKey = EtcdKey(key);
        return CompareAndSwapAsync(key, expectedRevision,
            new RequestOp { RequestPut = new PutRequest { Key = etcdKey, Value = ByteString.CopyFrom(value.Span) } }, ct);
    }

    public ValueTask<long> DeleteAsync(string key, long expectedRevision, CancellationToken ct) =>
        CompareAndSwapAsync(key, expectedRevision, new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = EtcdKey(key) } }, ct);

    /// <summary>Runs <paramref name="operation"/> only if the key exists with mod revision <paramref name="expectedRevision"/>.</summary>
    private async ValueTask<long> CompareAndSwapAsync(string key, long expectedRevision, RequestOp operation, CancellationToken ct)
    {
        var etcdKey = EtcdKey(key);
        var txn = new TxnRequest();
        // "Exists" is compared too: a missing key has mod revision 0, which must not pass for an expected revision of 0.
        txn.Compare.Add(new Compare
        {
            Key = etcdKey,
            Target = Compare.Types.CompareTarget.Version,
            Result = Compare.Types.CompareResult.Greater,
            Version = 0,
        });
        txn.Compare.Add(new Compare
        {
            Key = etcdKey,
            Target = Compare.Types.CompareTarget.Mod,
            Result = Compare.Types.CompareResult.Equal,
            ModRevision = expectedRevision,
        });
        txn.Success.Add(operation);
        var nonce = NewNonce();
        txn.Success.Add(MarkOf(nonce));
        // Read in the same transaction, so "gone" and "changed" are told apart at the revision the compare failed.
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = etcdKey, KeysOnly = true } });
        var deadline = DateTime.UtcNow + _timeout;
        var (response, uncertain) = await CallAsync(key, (headers, d, token) => _client.TransactionAsync(txn, headers, d, token), CallKind.GuardedWrite, deadline, ct);
        Observe(response.Header);
        if (response.Succeeded) return response.Header.Revision;
        var current = response.Responses.Count > 0 && response.Responses[0].ResponseRange?.Kvs.Count > 0 ? response.Responses[0].ResponseRange.Kvs[0] : null;
        if (uncertain && await OwnSwapRevisionAsync(key, etcdKey, expectedRevision, operation, nonce, current, deadline, ct) is { } own) return own;
        var exists = current is not null;
        throw exists
            ? new StorageException(StorageErrorCode.Conflict, key, "revision mismatch")
            : new StorageException(StorageErrorCode.KeyNotFound, key, "key not found");
    }

    // ---------------------------------------------------------------- watch

    public IAsyncEnumerable<StorageEvent> WatchAsync(string prefix, long afterRevision, CancellationToken ct) => Watch(prefix, afterRevision, false, ct);

    /// <summary>
    /// Watches every key under the store's etcd prefix (<see cref="KeyRoot"/>) and reports writes there outside
    /// <paramref name="prefix"/> as Progress. Not the whole keyspace: an etcd role scoped to the prefix (RBAC) must
    /// be enough to run the server. etcd's own progress requests are not used: before 3.4.26/3.5.8 etcd could answer
    /// one ahead of events still queued for the watcher.
    /// </summary>
    public IAsyncEnumerable<StorageEvent> WatchWithProgressAsync(string prefix, long afterRevision, CancellationToken ct) => Watch(prefix, afterRevision, true, ct);

    private async IAsyncEnumerable<StorageEvent> Watch(string prefix, long afterRevision, bool progress, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterRevision);
        ct.ThrowIfCancellationRequested();
        var (start, end) = PrefixRange(prefix);
        var (watchStart, watchEnd) = progress ? PrefixRange("") : (start, end);
        var last = afterRevision;
        long? failingSince = null;
        var backoff = InitialReconnectBackoff;
        Exception? lastError = null;

        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_disposed.IsCancellationRequested) yield break;
            if (failingSince is { } since && Stopwatch.GetElapsedTime(since) > _timeout)
            {
                throw lastError is RpcException { StatusCode: StatusCode.DeadlineExceeded } or TimeoutException
                    ? new StorageException(StorageErrorCode.Timeout, prefix, $"etcd watch could not be re-established: {lastError.Message}", inner: lastError)
                    : new StorageException(StorageErrorCode.Unreachable, prefix, $"etcd watch could not be re-established: {lastError?.Message}", inner: lastError);
            }

            using var callCts = CancellationTokenSource.CreateLinkedTokenSource(ct, _disposed.Token);
            using var call = _watchClient.Watch(cancellationToken: callCts.Token);
            // Start at `last` itself rather than last + 1: etcd then reports the watch as compacted exactly when
            // `last` is below the compaction point (as the embedded store does), and the event at `last` is skipped.
            var create = new WatchRequest
            {
                CreateRequest = new WatchCreateRequest
                {
                    Key = ByteString.CopyFrom(watchStart),
                    RangeEnd = ByteString.CopyFrom(watchEnd),
                    // A progress watch (the watch cache's) starts after `last`: compaction at `last` itself loses it
                    // nothing, and etcd syncs a watcher from the future at once instead of up to 100 ms later.
                    StartRevision = progress ? last + 1 : Math.Max(last, 1),
                    // The watch cache keeps every object's latest state, so its watch goes without the previous
                    // values: etcd would read each from its backend and send it beside the event.
                    PrevKv = !progress,
                },
            };
            var (created, error) = await CreateWatchAsync(call, create, callCts, ct);
            var up = Stopwatch.GetTimestamp();
            if (created is not null)
            {
                failingSince = null;
                var response = created;
                while (response is not null)
                {
                    if (response.CompactRevision != 0)
                        throw new StorageException(StorageErrorCode.Expired, prefix, "required revision has been compacted", response.CompactRevision);
                    if (response.Canceled)
                    {
                        error = new InvalidOperationException($"etcd cancelled the watch: {response.CancelReason}");
                        break;
                    }
                    long elsewhere = 0;
                    foreach (var e in response.Events)
                    {
                        if (e.Kv.ModRevision <= last) continue;
                        if (progress && !InRange(e.Kv.Key, start, end))
                        {
                            elsewhere = e.Kv.ModRevision;
                            continue;
                        }
                        // etcd looks the previous value up when it sends the event; for a watcher that fell behind
                        // the compaction point that lookup fails and the event comes without it (kube's watcher
                        // fails such events too). Deletes and updates need their previous state: report Expired.
                        if (!progress && e.PrevKv is null && !IsCreate(e))
                            throw new StorageException(StorageErrorCode.Expired, prefix,
                                $"the previous value at revision {e.Kv.ModRevision} has been compacted", await CompactedRevisionAsync(ct));
                        last = e.Kv.ModRevision;
                        yield return ToEvent(e);
                    }
                    // After the response's events: one transaction's events share a revision and arrive together,
                    // so a revision is reported as passed only once every event of it under the prefix was delivered.
                    if (elsewhere > last)
                    {
                        last = elsewhere;
                        yield return new StorageEvent(StorageEventType.Progress, "", null, null, last);
                    }
                    (response, error) = await NextAsync(call.ResponseStream, callCts.Token, ct);
                }
            }

            // The stream broke (or etcd closed it): re-establish it from the last delivered revision.
            ct.ThrowIfCancellationRequested();
            if (_disposed.IsCancellationRequested) yield break;
            lastError = error ?? lastError;
            failingSince ??= Stopwatch.GetTimestamp();
            await callCts.CancelAsync();
            // A stream that lived a while starts the backoff over; one that keeps breaking at once backs off further.
            if (created is not null && Stopwatch.GetElapsedTime(up) > MaxReconnectBackoff) backoff = InitialReconnectBackoff;
            await Task.Delay(backoff, ct);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxReconnectBackoff.Ticks));
        }
    }

    /// <summary>Sends the create request and waits (bounded) for etcd's first answer; null with the error if it fails.</summary>
    private async Task<(WatchResponse? Response, Exception? Error)> CreateWatchAsync(
        AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call, WatchRequest create, CancellationTokenSource callCts, CancellationToken ct)
    {
        try
        {
            await call.RequestStream.WriteAsync(create, callCts.Token).WaitAsync(_timeout, ct);
            var first = await call.ResponseStream.MoveNext(callCts.Token).WaitAsync(_timeout, ct);
            return first ? (call.ResponseStream.Current, null) : (null, new InvalidOperationException("etcd closed the watch stream"));
        }
        catch (TimeoutException e)
        {
            await callCts.CancelAsync();
            return (null, e);
        }
        catch (RpcException e) when (!ct.IsCancellationRequested)
        {
            return (null, e);
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested)
        {
            // The transport broke under the stream (connection reset): the same as an RpcException, reconnect.
            return (null, e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            return (null, e);
        }
        catch (RpcException e)
        {
            throw new OperationCanceledException(e.Message, e, ct);
        }
    }

    private static async Task<(WatchResponse? Response, Exception? Error)> NextAsync(
        IAsyncStreamReader<WatchResponse> stream, CancellationToken callToken, CancellationToken ct)
    {
        try
        {
            return await stream.MoveNext(callToken) ? (stream.Current, null) : (null, null);
        }
        catch (RpcException e) when (!ct.IsCancellationRequested)
        {
            return (null, e);
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested)
        {
            // The transport broke under the stream (connection reset): the same as an RpcException, reconnect.
            return (null, e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            return (null, e);
        }
        catch (RpcException e)
        {
            throw new OperationCanceledException(e.Message, e, ct);
        }
    }

    private static bool IsCreate(Event e) => e.Type == Event.Types.EventType.Put && e.Kv.CreateRevision == e.Kv.ModRevision;

    private StorageEvent ToEvent(Event e)
    {
        // Explicit nullables throughout: a bare null would convert to an empty, present ReadOnlyMemory (via byte[]).
        var key = KeyOf(e.Kv.Key);
        var none = (ReadOnlyMemory<byte>?)null;
        var prev = e.PrevKv is null ? none : (ReadOnlyMemory<byte>?)e.PrevKv.Value.Memory;
        if (e.Type == Event.Types.EventType.Delete)
            return new StorageEvent(StorageEventType.Deleted, key, none, prev, e.Kv.ModRevision);
        var value = (ReadOnlyMemory<byte>?)e.Kv.Value.Memory;
        return IsCreate(e)
            ? new StorageEvent(StorageEventType.Added, key, value, none, e.Kv.ModRevision)
            : new StorageEvent(StorageEventType.Modified, key, value, prev, e.Kv.ModRevision);
    }

    // ---------------------------------------------------------------- compaction

    /// <summary>
    /// Compacts etcd's history at <paramref name="revision"/>: reads and watches that need older revisions fail with
    /// Expired. Compacting at or below the current compaction point does nothing.
    /// </summary>
    /// <returns>etcd's compaction point after the call: <paramref name="revision"/>, or the higher one another compactor
    /// had already reached (a watch cache forgets its history up to what was actually compacted).</returns>
    public async Task<long> CompactAsync(long revision, CancellationToken ct)
    {
        var request = new CompactionRequest { Revision = revision };
        try
        {
            await CallAsync("", (headers, deadline, token) => _client.CompactAsync(request, headers, deadline, token), CallKind.UnguardedWrite, ct);
            return revision;
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.Expired)
        {
            // Already compacted at or past it (another compactor got there first): etcd says no more than that.
            return Math.Max(revision, await CompactedRevisionAsync(ct, fallback: revision));
        }
    }

    /// <summary>
    /// What one round of <see cref="CompactRoundAsync"/> found: the version of <see cref="CompactRevisionKey"/> and the
    /// current revision (for the next round), and the revision this round compacted at, null if it compacted nothing
    /// (it lost the round to another replica, or only recorded the revision).
    /// </summary>
    public readonly record struct CompactRound(long Version, long Revision, long? Compacted)
    {
        public void Deconstruct(out long version, out long revision)
        {
            version = Version;
            revision = Revision;
        }
    }

    /// <summary>
    /// One round of kube-apiserver's coordinated compaction (etcd3/compact.go): if nobody else has compacted since
    /// this caller's last round (the version of <see cref="CompactRevisionKey"/> is still
    /// <paramref name="lastVersion"/>), records <paramref name="revision"/> there and compacts at it (0: record only).
    /// Returns the key's version and the current revision, which the caller passes to the next round, and the
    /// compaction point this round reached, if it compacted (<see cref="CompactRound.Compacted"/>: report that one).
    /// </summary>
    public async Task<CompactRound> CompactRoundAsync(long lastVersion, long revision, CancellationToken ct)
    {
        var key = ByteString.CopyFromUtf8(CompactRevisionKey);
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare
        {
            Key = key,
            Target = Compare.Types.CompareTarget.Version,
            Result = Compare.Types.CompareResult.Equal,
            Version = lastVersion,
        });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFromUtf8(revision.ToString()) } });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = key } });
        var response = await CallAsync(CompactRevisionKey, (headers, deadline, token) => _client.TransactionAsync(txn, headers, deadline, token), CallKind.UnguardedWrite, ct);
        var current = response.Header.Revision;
        if (!response.Succeeded)
        {
            var kvs = response.Responses[0].ResponseRange.Kvs;
            return new CompactRound(kvs.Count > 0 ? kvs[0].Version : 0, current, null);
        }
        long? compacted = revision > 0 ? await CompactAsync(revision, ct) : null;
        return new CompactRound(lastVersion + 1, current, compacted);
    }

    /// <summary>
    /// etcd's compaction point, learnt from a watch that starts at revision 1; <paramref name="fallback"/> (by default
    /// the current revision) if it cannot be learnt.
    /// </summary>
    private async Task<long> CompactedRevisionAsync(CancellationToken ct, long? fallback = null)
    {
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct, _disposed.Token);
            cts.CancelAfter(TimeSpan.FromTicks(Math.Min(_timeout.Ticks, TimeSpan.FromSeconds(2).Ticks)));
            using var call = _watchClient.Watch(cancellationToken: cts.Token);
            await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = EtcdKey(""), StartRevision = 1 } }, cts.Token);
            while (await call.ResponseStream.MoveNext(cts.Token))
            {
                var response = call.ResponseStream.Current;
                if (response.CompactRevision != 0) return response.CompactRevision;
                if (response.Canceled) break;
            }
        }
        catch (RpcException) when (!ct.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
        return fallback ?? await CurrentRevisionAsync(ct);
    }

    // ---------------------------------------------------------------- plumbing

    private StoredObject ToObject(KeyValue kv) => new(KeyOf(kv.Key), kv.Value.Memory, kv.ModRevision);

    private string KeyOf(ByteString etcdKey) => Encoding.UTF8.GetString(etcdKey.Span[_rootLength..]);

    private ByteString EtcdKey(string key) => ByteString.CopyFromUtf8(_root + key);

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static int CompareBytes(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b);

    private static bool InRange(ByteString key, byte[] start, byte[] end) =>
        key.Span.SequenceCompareTo(start) >= 0 && (end is [0] || key.Span.SequenceCompareTo(end) < 0);

    /// <summary>The etcd range [start, end) of every key under <paramref name="prefix"/>.</summary>
    private (byte[] Start, byte[] End) PrefixRange(string prefix)
    {
        var start = Utf8(_root + prefix);
        var end = (byte[])start.Clone();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] == 0xff) continue;
            end[i]++;
            return (start, end[..(i + 1)]);
        }
        return (start, [0]); // all 0xff: every key from start on ("\0" means "to the end" in etcd)
    }

    public ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested) return ValueTask.CompletedTask;
        _disposed.Cancel();
        _client.Dispose();
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }
}
