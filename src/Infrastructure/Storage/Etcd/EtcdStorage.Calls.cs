using System.Diagnostics;
using ClusterRegistry.Application.Abstractions;
using Etcdserverpb;
using Grpc.Core;

namespace ClusterRegistry.Infrastructure.Storage.Etcd;

/// <summary>What may be done with a unary call that failed or goes unanswered.</summary>
internal enum CallKind
{
    /// <summary>A read of one key or a count: retried after any transient failure, and hedged when an attempt goes unanswered.</summary>
    PointRead,

    /// <summary>A range read of unknown size: retried after any transient failure, an attempt may take the whole deadline.</summary>
    RangeRead,

    /// <summary>
    /// A transaction whose compare lets it apply at most once however often it is sent (see EtcdStorage.WriteOutcome.cs):
    /// retried after any transient failure, hedged when an attempt goes unanswered, the caller told if an attempt's
    /// outcome is unknown.
    /// </summary>
    GuardedWrite,

    /// <summary>Any other write: sent again only when etcd provably did not execute it.</summary>
    UnguardedWrite,
}

public sealed partial class EtcdStorage
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxRetryPause = TimeSpan.FromMilliseconds(150);
    private const int HedgesAtFirstInterval = 8;

    /// <summary>A moving average of how long a successful attempt takes (ticks).</summary>
    private long _typicalLatencyTicks;

    private void RecordLatency(TimeSpan latency)
    {
        // Races between callers lose a sample now and then, which a moving average does not mind.
        var typical = Volatile.Read(ref _typicalLatencyTicks);
        Volatile.Write(ref _typicalLatencyTicks, typical == 0 ? latency.Ticks : typical + (latency.Ticks - typical) / 8);
    }

    /// <summary>The highest revision any response has shown: every write sent after reading it gets a higher one.</summary>
    private long _observedRevision;

    private void Observe(ResponseHeader? header)
    {
        if (header is null) return;
        var seen = Volatile.Read(ref _observedRevision);
        while (header.Revision > seen)
        {
            var was = Interlocked.CompareExchange(ref _observedRevision, header.Revision, seen);
            if (was == seen) return;
            seen = was;
        }
    }

    private async Task<T> CallAsync<T>(string key, Func<Metadata, DateTime, CancellationToken, Task<T>> call, CallKind kind, CancellationToken ct) =>
        (await CallAsync(key, call, kind, DateTime.UtcNow + _timeout, ct)).Response;

    /// <summary>
    /// Runs one unary call until it succeeds, fails in a way a retry cannot help, or the operation's deadline
    /// (<paramref name="deadline"/>, and the caller's token) passes; turns gRPC failures into <see cref="StorageException"/>s.
    /// <c>Uncertain</c> is true when another attempt of a <see cref="CallKind.GuardedWrite"/> may have been applied.
    /// </summary>
    /// <remarks>
    /// This is how etcd's Go client fails over (clientv3's retry interceptor and balancer: calls refused by a member,
    /// or answered "no leader", go to another), plus what its mutation retry leaves out. A request that a follower
    /// forwarded to a leader that then died is never answered before etcd's own request timeout (7 s), while the
    /// survivors elect a new leader in about 1.5 s. So a point read or guarded write that has gone unanswered for
    /// <see cref="EtcdOptions.AttemptTimeout"/> is sent again (round robin picks another member) without giving up the
    /// first attempt, which may just be slow: whichever answers first is the answer, and the next attempts reach the
    /// new leader. Every attempt has the operation's deadline, so a slow but healthy etcd still answers within it; the
    /// interval between attempts is at least four times the typical answer time, and doubles after the eighth, which
    /// bounds the extra load on a slow etcd.
    /// </remarks>
    private async Task<(T Response, bool Uncertain)> CallAsync<T>(
        string key, Func<Metadata, DateTime, CancellationToken, Task<T>> call, CallKind kind, DateTime deadline, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        var hedged = kind is CallKind.PointRead or CallKind.GuardedWrite;
        // A healthy etcd answers in milliseconds; one that is slow but answers gets more time before a second attempt,
        // so hedging does not multiply the load on it.
        var hedgeDelay = Max(_attemptTimeout, TimeSpan.FromTicks(4 * Volatile.Read(ref _typicalLatencyTicks)));
        var hedges = 0;
        // Round-robin may pick the refusing member again (other calls move the pointer too): a few tries per member
        // reach a live one with near certainty, and still fail in a fraction of a second when none is up.
        var refusalsLeft = 4 * _memberCount;
        var pause = RetryPause;
        var uncertain = false;
        // The last failure, while every attempt that failed did so before its request was sent (null otherwise): an
        // etcd that cannot be connected to is Unreachable even when the deadline, not the refusals, ends the call.
        RpcException? onlyNeverSent = null;
        var failedAfterSending = false;
        var open = new List<(Task<T> Task, long Started)>();
        using var attempts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var retryAt = DateTime.UtcNow; // the next attempt that replaces a failed one (MaxValue: none due)
        var hedgeAt = DateTime.MaxValue; // the next attempt beside the open ones
        try
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                var now = DateTime.UtcNow;
                var retry = now >= retryAt && (open.Count == 0 || hedged);
                if (retry || (hedged && now >= hedgeAt))
                {
                    // Enough hedges at the first interval to span an election; past that, a slow etcd is likelier.
                    if (!retry && ++hedges > HedgesAtFirstInterval) hedgeDelay *= 2;
                    open.Add((call(EtcdErrors.RequireLeader, deadline, attempts.Token), Stopwatch.GetTimestamp()));
                    if (retry) retryAt = DateTime.MaxValue;
                    if (hedged) hedgeAt = now + hedgeDelay;
                }
                var next = retryAt < hedgeAt ? retryAt : hedgeAt;
                var timer = next < deadline
                    ? Task.Delay(Max(next - now, TimeSpan.Zero), attempts.Token)
                    : Task.Delay(Timeout.Infinite, attempts.Token);
                var done = await Task.WhenAny(open.Select(o => (Task)o.Task).Append(timer)).ConfigureAwait(false);
                if (done == timer) continue;
                var attempt = open.First(o => o.Task == done);
                open.Remove(attempt);
                try
                {
                    var response = await attempt.Task.ConfigureAwait(false);
                    if (hedged) RecordLatency(Stopwatch.GetElapsedTime(attempt.Started));
                    // Attempts still open may yet be applied: an answer that the compare failed must be checked against them.
                    return (response, uncertain || open.Count > 0);
                }
                catch (RpcException e) when (!ct.IsCancellationRequested)
                {
                    var failure = EtcdErrors.Classify(e);
                    var refused = EtcdErrors.NeverSent(e);
                    failedAfterSending |= !refused;
                    onlyNeverSent = failedAfterSending ? null : e;
                    if (failure == AttemptFailure.Final || (failure == AttemptFailure.OutcomeUnknown && kind == CallKind.UnguardedWrite))
                        throw Failed(e, key, uncertain || open.Count > 0);
                    if (!refused) refusalsLeft = 4 * _memberCount;
                    uncertain |= failure == AttemptFailure.OutcomeUnknown && kind == CallKind.GuardedWrite;

                    // A replacement after a short pause. A refused connection says nothing of the cluster, only of that
                    // member: the balancer picks another at once. Other failures pause longer each time (up to a
                    // bound), so that a member without a leader is not hammered while the survivors elect one.
                    var at = DateTime.UtcNow + (refused ? RetryPause : pause);
                    if (!refused) pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxRetryPause.Ticks));
                    if (at < retryAt) retryAt = at;
                    if (open.Count == 0 && ((refused && --refusalsLeft <= 0) || retryAt >= deadline))
                        throw Failed(e, key, uncertain);
                }
            }
        }
        catch (RpcException e) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException(e.Message, e, ct);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            // Not the caller's cancellation: the deadline (or disposal) cancelled the call.
            if (onlyNeverSent is not null) throw Failed(onlyNeverSent, key, uncertain);
            throw new StorageException(StorageErrorCode.Timeout, key, "etcd did not answer in time", inner: e);
        }
        finally
        {
            // The attempts nobody waits for any more end now; their failures (cancellation) are of no interest.
            await attempts.CancelAsync().ConfigureAwait(false);
            foreach (var left in open) _ = left.Task.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static StorageException Failed(RpcException e, string key, bool uncertain)
    {
        var error = EtcdErrors.Interpret(e, key);
        // A write that may have been applied is a timeout whatever the last attempt said: its outcome is unknown.
        return uncertain && error.Code is StorageErrorCode.Unreachable
            ? new StorageException(StorageErrorCode.Timeout, key, $"the write may or may not have been applied: {error.Message}", inner: e)
            : error;
    }
}
