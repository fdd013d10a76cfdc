using ClusterRegistry.Api.Hosting;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Http;

/// <summary>Overload protection settings, named after kube-apiserver's flags.</summary>
public sealed record RequestLimits(int MaxRequestsInflight = 400, int MaxMutatingRequestsInflight = 200, TimeSpan? RequestTimeout = null);

/// <summary>
/// kube-apiserver's max-in-flight filter and request timeout: read-only and mutating requests are counted separately
/// (watches are long-running and exempt), excess requests get 429 with Retry-After, and a non-watch request that
/// runs past the timeout gets 504.
/// </summary>
public sealed class RequestLimitsMiddleware(RequestDelegate next, RequestLimits limits)
{
    private readonly int[] _inflight = new int[2];
    private readonly TimeSpan _timeout = limits.RequestTimeout ?? TimeSpan.FromSeconds(60);

    public async Task InvokeAsync(HttpContext http)
    {
        if (RequestInfo.Of(http) is { IsHealthProbe: true } or { Verb: "watch" })
        {
            await next(http);
            return;
        }
        var mutating = HttpMethods.IsPost(http.Request.Method) || HttpMethods.IsPut(http.Request.Method)
                       || HttpMethods.IsPatch(http.Request.Method) || HttpMethods.IsDelete(http.Request.Method);
        var limit = mutating ? limits.MaxMutatingRequestsInflight : limits.MaxRequestsInflight;
        var slot = mutating ? 1 : 0;
        if (limit > 0 && Interlocked.Increment(ref _inflight[slot]) > limit)
        {
            Interlocked.Decrement(ref _inflight[slot]);
            await ResponseWriter.WriteStatusAsync(http, ApiErrors.TooManyRequests("Too many requests, please try again later.", 1).ToStatus());
            return;
        }
        var clientAborted = http.RequestAborted;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
        timeout.CancelAfter(_timeout);
        http.RequestAborted = timeout.Token;
        try
        {
            await next(http);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !clientAborted.IsCancellationRequested && !http.Response.HasStarted)
        {
            http.RequestAborted = clientAborted;
            await ResponseWriter.WriteStatusAsync(http, ApiErrors.Timeout("Timeout: request did not complete within requested timeout - context deadline exceeded", 0).ToStatus());
        }
        finally
        {
            if (limit > 0) Interlocked.Decrement(ref _inflight[slot]);
        }
    }
}
