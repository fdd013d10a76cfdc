using System.Diagnostics;
using ClusterRegistry.Api.Hosting;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Api.Observability;

/// <summary>
/// One log line per answered request, as kube-apiserver's httplog: at Debug (written from <c>-v 3</c>), at Information
/// when slower than a second (watches excepted: they last by design), at Error for a 5xx or a failure. The message is
/// source-generated and nothing is formatted unless the level is enabled, so at the default verbosity a fast request
/// costs a level check.
/// </summary>
public sealed partial class RequestLogMiddleware(RequestDelegate next, ILogger<RequestLogMiddleware> logger)
{
    /// <summary>Requests slower than this are logged at every verbosity.</summary>
    public const double SlowRequestMs = 1000;

    public async Task InvokeAsync(HttpContext http)
    {
        var start = Stopwatch.GetTimestamp();
        Exception? failure = null;
        try
        {
            await next(http);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var info = RequestInfo.Of(http);
            var status = failure is null ? http.Response.StatusCode : 500;
            var level = status >= 500 ? LogLevel.Error
                : ms > SlowRequestMs && info.Verb != "watch" ? LogLevel.Information
                : LogLevel.Debug;
            if (logger.IsEnabled(level))
            {
                Completed(logger, level, failure, http.Request.Method, http.Request.Path.Value ?? "/", info.Verb,
                    info.Subresource.Length > 0 ? info.Resource + "/" + info.Subresource : info.Resource, info.Name,
                    // Health probes skip authentication and a failed authentication has no user.
                    http.Items[typeof(UserInfo)] is UserInfo user ? user.Name : "-", status, Math.Round(ms, 1));
            }
        }
    }

    [LoggerMessage(EventId = 20, Message = "{RequestMethod} {RequestPath} {Verb} {Resource} {Name} user={User} -> {StatusCode} in {Elapsed} ms")]
    private static partial void Completed(ILogger logger, LogLevel level, Exception? exception, string requestMethod, string requestPath,
        string verb, string resource, string name, string user, int statusCode, double elapsed);
}
