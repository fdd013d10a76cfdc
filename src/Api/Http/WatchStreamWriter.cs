using ClusterRegistry.Api.Hosting;
using ClusterRegistry.Application.Clusters.Queries.ListClusters;
using ClusterRegistry.Application.Clusters.Queries.WatchClusters;
using ClusterRegistry.Domain.Meta;
using Mediator;

namespace ClusterRegistry.Api.Http;

/// <summary>
/// Streams watch events as kube-apiserver does: 200 and headers flushed first, then one compact JSON event per line,
/// each flushed; Table watches carry a one-row Table per event (columns on the first only). The stream ends cleanly
/// at timeoutSeconds (default: a random 30–60 minutes) or when the client leaves. Events are written to the response
/// by the task that takes them from the handler, with no queue or task of its own in between while the client keeps
/// up; while it is behind, live events wait in a bounded backlog, and one that falls further behind is closed (see
/// <see cref="WatchOptions.BufferedEvents"/> and <see cref="WatchResponseStream"/>).
/// </summary>
public static class WatchStreamWriter
{
    public static async Task ServeAsync(HttpContext http, ListParameters parameters, ISender sender)
    {
        var rep = ResponseWriter.Negotiate(http.Request, Transforms.Object);
        var includeObject = rep.Transform == Transforms.Table ? ResponseWriter.IncludeObject(http.Request) : "Metadata";
        var timeout = parameters.TimeoutSeconds is { } t and > 0
            ? TimeSpan.FromSeconds(Math.Min(t, int.MaxValue / 1000))
            : TimeSpan.FromSeconds(Random.Shared.Next(1800, 3600));
        // Watches also end (cleanly, so clients re-watch elsewhere) when the server begins to shut down, after any
        // --shutdown-delay-duration: until then this replica still serves them.
        var stopping = http.RequestServices.GetRequiredService<ShutdownDelay>().Draining;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        cts.CancelAfter(timeout);

        // Validation and authorization run when the stream is first read; the handler's Started marker says they
        // passed, so errors before it are answered as a plain Status rather than inside a 200 stream.
        var events = sender.CreateStream(new WatchClustersQuery(parameters with { Watch = true }), cts.Token).GetAsyncEnumerator(cts.Token);
        bool started;
        try
        {
            started = await events.MoveNextAsync() && events.Current == ClusterWatchEvent.Started;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
        {
            // The server began to shut down before this watch started (kubectl lists, prints, then watches): end it
            // as every running watch ends now, cleanly and empty, not as a 500 that kubectl prints as "Internal
            // error occurred: The operation was canceled".
            try { await events.DisposeAsync(); } catch (OperationCanceledException) { }
            StartWatchResponse(http.Response);
            return;
        }
        if (!started) throw new InvalidOperationException("watch stream did not start");

        var response = http.Response;
        StartWatchResponse(response);
        http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(http.RequestAborted);
        await response.Body.FlushAsync(http.RequestAborted);

        var capacity = Math.Max(1, http.RequestServices.GetRequiredService<WatchOptions>().BufferedEvents);
        var metrics = http.RequestServices.GetRequiredService<Observability.WatchMetrics>();
        var stream = new WatchResponseStream(events, response.BodyWriter, rep, includeObject, metrics);
        var overflowed = false;
        try
        {
            overflowed = await stream.RunAsync(capacity, cts.Token);
        }
        catch (OperationCanceledException)
        {
            // Timeout, client gone or cut for falling behind: end the chunked response.
        }
        catch (ApiStatusException e) when (!http.RequestAborted.IsCancellationRequested)
        {
            // Headers are sent: an answer the server chose (a lost store is 503, its cause already logged by the
            // storage failure log) ends the stream as its Status, without a stack trace.
            await response.Body.WriteAsync(WatchEventEncoding.Line(WatchEventType.Error, e.ToStatus()), CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            // Headers are sent: report the failure as the stream's last event rather than resetting it.
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Watch").LogError(e, "watch failed");
            await response.Body.WriteAsync(WatchEventEncoding.Line(WatchEventType.Error, ApiErrors.Internal(e.Message).ToStatus()), CancellationToken.None);
        }
        finally
        {
            await cts.CancelAsync();
            await stream.SettleAsync();
            try { await events.DisposeAsync(); } catch (OperationCanceledException) { }
            if (overflowed)
            {
                // The client stopped reading: drop the connection so what it holds (queued events, unsent bytes) is
                // freed now rather than when it times out; its client re-watches or re-lists.
                ApiServerLog.WatchUnresponsive(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Watch"),
                    capacity, http.Connection.RemoteIpAddress?.ToString() ?? "");
                metrics.WatcherTerminated();
                http.RequestServices.GetRequiredService<Observability.MemoryReturner>().WatcherCut();
                http.Abort();
            }
        }
    }

    private static void StartWatchResponse(HttpResponse response)
    {
        response.StatusCode = 200;
        response.ContentType = MediaTypes.Json;
        response.Headers.CacheControl = "no-cache, private";
    }
}
