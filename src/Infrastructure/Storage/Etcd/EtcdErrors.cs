using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;
using ClusterRegistry.Application.Abstractions;
using Grpc.Core;

namespace ClusterRegistry.Infrastructure.Storage.Etcd;

/// <summary>What a failed attempt tells about its request, which decides whether a write may be sent again.</summary>
internal enum AttemptFailure
{
    /// <summary>etcd did not execute the request and never will: sending it again cannot apply it twice.</summary>
    NotApplied,

    /// <summary>
    /// The request may have been proposed to raft (it was sent, and no answer says otherwise): it may be applied now,
    /// later, or never. Only a request whose compare makes a second application impossible may be sent again.
    /// </summary>
    OutcomeUnknown,

    /// <summary>An answer that a retry would only repeat (compacted, invalid, refused by policy).</summary>
    Final,
}

/// <summary>Classifies etcd's gRPC failures (etcdserver/api/v3rpc/rpctypes) and turns them into <see cref="StorageException"/>s.</summary>
internal static class EtcdErrors
{
    /// <summary>
    /// The metadata etcd's unary interceptor checks before handling a call: a member without a leader then answers
    /// "etcdserver: no leader" at once instead of forwarding the request to a leader that may be dead
    /// (clientv3.WithRequireLeader).
    /// </summary>
    public static readonly Metadata RequireLeader = new() { { "hasleader", "true" } };

    public static AttemptFailure Classify(RpcException e)
    {
        var detail = e.Status.Detail ?? "";
        if (NeverSent(e)) return AttemptFailure.NotApplied;
        // Answered before the request reached raft: the interceptor's leader check, the apply-backlog check and raft
        // dropping a proposal on a member that has no leader (returned as Unknown by etcd's togRPCError).
        if (detail.Contains("etcdserver: no leader", StringComparison.Ordinal)
            || detail.Contains("etcdserver: too many requests", StringComparison.Ordinal)
            || detail.Contains("raft proposal dropped", StringComparison.Ordinal))
            return AttemptFailure.NotApplied;
        return e.StatusCode switch
        {
            // "request timed out" (possibly due to leader failure or connection loss) and "leader changed" are
            // answered after the proposal, as is a broken connection: the request may have been applied.
            StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Unknown
                or StatusCode.Internal or StatusCode.Aborted => AttemptFailure.OutcomeUnknown,
            _ => AttemptFailure.Final,
        };
    }

    /// <summary>
    /// True when the call failed before its request was sent: the connection to the member could not be made (refused,
    /// TLS handshake failed, or the server closed it before the HTTP/2 handshake completed, which is how etcd rejects a
    /// client without the certificate it requires). Such a failure is the same whenever it happens, so it must be
    /// reported the same way (Unreachable), not depend on whether a retry was still running at the deadline.
    /// </summary>
    public static bool NeverSent(RpcException e) =>
        e.StatusCode is StatusCode.Unavailable or StatusCode.Internal
        && (e.Status.DebugException is HttpRequestException
        {
            HttpRequestError: HttpRequestError.SecureConnectionError,
        } or HttpRequestException
        {
            InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } or AuthenticationException,
        }
            || e.Status.DebugException is HttpRequestException { InnerException: IOException handshake }
               && handshake.Message.Contains("HTTP/2 connection could not be established", StringComparison.Ordinal)
            || (e.Status.Detail ?? "").Contains("Error connecting to subchannel", StringComparison.Ordinal));

    public static StorageException Interpret(RpcException e, string key)
    {
        var detail = e.Status.Detail ?? "";
        return e.StatusCode switch
        {
            StatusCode.OutOfRange when detail.Contains("compacted", StringComparison.Ordinal) =>
                new StorageException(StorageErrorCode.Expired, key, detail, inner: e),
            StatusCode.OutOfRange when detail.Contains("future revision", StringComparison.Ordinal) =>
                new StorageException(StorageErrorCode.TooLargeRevision, key, detail, inner: e),
            StatusCode.DeadlineExceeded =>
                new StorageException(StorageErrorCode.Timeout, key, $"etcd did not answer in time: {detail}", inner: e),
            StatusCode.Unavailable when detail.Contains("request timed out", StringComparison.Ordinal) =>
                new StorageException(StorageErrorCode.Timeout, key, detail, inner: e),
            StatusCode.Unavailable =>
                new StorageException(StorageErrorCode.Unreachable, key, $"etcd is unavailable: {detail}", inner: e),
            _ => new StorageException(StorageErrorCode.Unreachable, key, $"etcd failed the request ({e.StatusCode}): {detail}", inner: e),
        };
    }
}
