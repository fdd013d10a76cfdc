using System.Diagnostics;
using ClusterRegistry.Api.Hosting;

namespace ClusterRegistry.Api.Observability;

/// <summary>
/// Records every request into <see cref="RequestMetrics"/> once it has been answered, outside the error and limit
/// middleware, so the code is the one the client got (401, 429, 504 included). Health probes are counted but,
/// as in the in-flight limit, not in flight.
/// </summary>
public sealed class RequestMetricsMiddleware(RequestDelegate next, RequestMetrics metrics)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var start = Stopwatch.GetTimestamp();
        var info = RequestInfo.Of(http);
        var set = metrics.For(RequestLabels.Of(http, info));
        var longRunning = info.Verb == "watch";
        var mutating = HttpMethods.IsPost(http.Request.Method) || HttpMethods.IsPut(http.Request.Method)
                       || HttpMethods.IsPatch(http.Request.Method) || HttpMethods.IsDelete(http.Request.Method);
        var tracked = !info.IsHealthProbe;
        if (tracked) metrics.Started(set, longRunning, mutating);
        try
        {
            await next(http);
        }
        finally
        {
            // With tracing on, ASP.NET Core's request span is named and tagged as kube names the request.
            if (Activity.Current is { Source.Name: "Microsoft.AspNetCore" } span)
            {
                span.DisplayName = set.SpanName;
                span.SetTag("http.response.status_code", http.Response.StatusCode);
            }
            metrics.Finished(set, tracked, longRunning, mutating, http.Response.StatusCode, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }
}
