using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Http;

/// <summary>
/// The one error table: API errors render as their Status; anything else is a 500 InternalError, logged as a bug.
/// Never ProblemDetails: kubectl parses Status.
/// </summary>
public sealed class StatusExceptionMiddleware(RequestDelegate next, ILogger<StatusExceptionMiddleware> logger, IStorageFailureLog storageFailures)
{
    /// <summary>Discards a partial response but keeps the Audit-Id, which names the request in the audit log.</summary>
    private static void Clear(HttpContext http)
    {
        var auditId = http.Response.Headers["Audit-Id"];
        http.Response.Clear();
        if (auditId.Count > 0) http.Response.Headers["Audit-Id"] = auditId;
    }

    public async Task InvokeAsync(HttpContext http)
    {
        try
        {
            await next(http);
        }
        catch (ApiStatusException e) when (!http.Response.HasStarted)
        {
            // The client gets a generic 503/504; the operator needs the backend's own reason.
            if (e.InnerException is StorageException storage) storageFailures.Failed(Hosting.RequestInfo.Of(http).Verb, storage);
            Clear(http);
            await ResponseWriter.WriteStatusAsync(http, e.ToStatus());
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (BadHttpRequestException e) when (!http.Response.HasStarted)
        {
            Clear(http);
            var error = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? ApiErrors.RequestEntityTooLarge($"limit is {RequestBody.MaxBytes}")
                : new ApiStatusException(e.StatusCode, e.StatusCode switch
                {
                    400 => "BadRequest",
                    408 => "Timeout",
                    _ => "InternalError",
                }, e.Message);
            await ResponseWriter.WriteStatusAsync(http, error.ToStatus());
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            ApiServerLog.UnhandledError(logger, e, http.Request.Method, http.Request.Path);
            Clear(http);
            await ResponseWriter.WriteStatusAsync(http, ApiErrors.Internal(e.Message).ToStatus());
        }
    }
}
