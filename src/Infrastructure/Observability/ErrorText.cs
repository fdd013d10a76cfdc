using Grpc.Core;

namespace ClusterRegistry.Infrastructure.Observability;

/// <summary>An exception as one log line: what an operator needs to act on, without a stack trace.</summary>
public static class ErrorText
{
    /// <summary>
    /// The messages of <paramref name="e"/> and the inner exceptions that carry the cause, joined with ": ". A socket
    /// or TLS failure often says only "see inner exception" at the top, and gRPC keeps the socket error in
    /// <see cref="Status.DebugException"/> rather than as an inner exception. gRPC's own rendering
    /// (<c>Status(StatusCode=..., Detail=...)</c>) repeats what the storage message already says, so it is skipped.
    /// </summary>
    public static string Cause(Exception e)
    {
        var parts = new List<string>();
        for (Exception? x = e; x is not null; x = x is RpcException rpc ? rpc.InnerException ?? rpc.Status.DebugException : x.InnerException)
        {
            var message = (x is RpcException r ? r.Status.Detail : x.Message).ReplaceLineEndings(" ").Trim().TrimEnd('.');
            if (message.Length > 0 && !parts.Any(p => p.Contains(message, StringComparison.Ordinal))) parts.Add(message);
        }
        return string.Join(": ", parts);
    }
}
