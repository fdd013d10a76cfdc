using System.Text;
using System.Text.Json.Nodes;
using ClusterRegistry.Api.Hosting;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Api.Auditing;

/// <summary>
/// Records each request as audit.k8s.io/v1 Events: RequestReceived, ResponseStarted (watches), ResponseComplete, at
/// the level and without the stages the policy decides for its user and request. The request body is captured only
/// at level Request or above and the response body only at RequestResponse; credentials (the Authorization header,
/// tokens in TokenReviews) are never recorded.
/// </summary>
public sealed class AuditMiddleware(RequestDelegate next, AuditLog log)
{
    private const int MaxCapturedBody = 64 * 1024;

    public async Task InvokeAsync(HttpContext http)
    {
        var info = RequestInfo.Of(http);
        var user = http.Items.TryGetValue(typeof(UserInfo), out var u) ? u as UserInfo : null;
        var decision = log.Policy.Decide(user, info, http.Request.Path.Value ?? "/");
        if (decision.Level == AuditLevel.None || Security.AuthenticationMiddleware.IsHealthPath(http.Request.Path))
        {
            await next(http);
            return;
        }
        var level = decision.Level;
        var auditId = http.Request.Headers["Audit-ID"].FirstOrDefault() is { Length: > 0 and <= 64 } given ? given : Guid.NewGuid().ToString();
        http.Response.Headers["Audit-Id"] = auditId;
        var received = DateTimeOffset.UtcNow;
        var isWatch = info.Verb == "watch";

        string? requestBody = null;
        if (level >= AuditLevel.Request && decision.Records(AuditStage.ResponseComplete) && http.Request.ContentLength is > 0 and <= MaxCapturedBody
            && http.Request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true
            && !http.Request.Path.Value!.Contains("tokenreviews", StringComparison.Ordinal))
        {
            http.Request.EnableBuffering();
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8, leaveOpen: true);
            requestBody = await reader.ReadToEndAsync(http.RequestAborted);
            http.Request.Body.Position = 0;
        }

        if (decision.Records(AuditStage.RequestReceived))
            log.Write(Event(level, http, auditId, AuditStage.RequestReceived, info, received, received, null, null, null));

        Stream? originalBody = null;
        MemoryStream? capture = null;
        if (level == AuditLevel.RequestResponse && !isWatch && decision.Records(AuditStage.ResponseComplete))
        {
            originalBody = http.Response.Body;
            capture = new MemoryStream();
            http.Response.Body = capture;
        }
        if (isWatch && decision.Records(AuditStage.ResponseStarted))
            http.Response.OnStarting(() =>
            {
                log.Write(Event(level, http, auditId, AuditStage.ResponseStarted, info, received, DateTimeOffset.UtcNow, null, null, null));
                return Task.CompletedTask;
            });
        int? failedWith = null;
        try
        {
            await next(http);
        }
        catch (Domain.Meta.ApiStatusException e)
        {
            // Rendered as a Status further out; record the code it will be answered with.
            failedWith = e.Code;
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            failedWith = 500;
            throw;
        }
        finally
        {
            string? responseBody = null;
            if (capture is not null)
            {
                capture.Position = 0;
                if (capture.Length <= MaxCapturedBody) responseBody = Encoding.UTF8.GetString(capture.ToArray());
                capture.Position = 0;
                http.Response.Body = originalBody!;
                await capture.CopyToAsync(originalBody!);
            }
            if (decision.Records(AuditStage.ResponseComplete))
                log.Write(Event(level, http, auditId, AuditStage.ResponseComplete, info, received, DateTimeOffset.UtcNow,
                    failedWith ?? http.Response.StatusCode, requestBody, responseBody));
        }
    }

    /// <summary>Where handlers leave the name of an object the URL does not name (a create), for the audit event.</summary>
    public const string ObjectNameItem = "audit.objectRef.name";

    internal static JsonObject Event(AuditLevel level, HttpContext http, string auditId, string stage, RequestInfo info, DateTimeOffset received,
        DateTimeOffset now, int? code, string? requestBody, string? responseBody)
    {
        var user = http.Items.TryGetValue(typeof(UserInfo), out var u) && u is UserInfo ui ? ui : null;
        var e = new JsonObject
        {
            ["kind"] = "Event",
            ["apiVersion"] = "audit.k8s.io/v1",
            ["level"] = level.ToString(),
            ["auditID"] = auditId,
            ["stage"] = stage,
            ["requestURI"] = Http.RequestUri.ForLog(http.Request),
            ["verb"] = info.Verb,
            ["user"] = user is null ? new JsonObject() : new JsonObject
            {
                ["username"] = user.Name,
                ["uid"] = user.Uid.Length > 0 ? user.Uid : null,
                ["groups"] = new JsonArray(user.Groups.Select(g => (JsonNode)g).ToArray()),
            },
            ["sourceIPs"] = new JsonArray(http.Connection.RemoteIpAddress?.ToString() ?? ""),
            ["userAgent"] = http.Request.Headers.UserAgent.ToString(),
        };
        if (info.IsResourceRequest)
        {
            var objectRef = new JsonObject { ["resource"] = info.Resource, ["apiGroup"] = info.Group, ["apiVersion"] = info.Version };
            if (info.Name.Length > 0) objectRef["name"] = info.Name;
            else if (http.Items.TryGetValue(ObjectNameItem, out var created) && created is string createdName) objectRef["name"] = createdName;
            if (info.Subresource.Length > 0) objectRef["subresource"] = info.Subresource;
            e["objectRef"] = objectRef;
        }
        if (code is { } c)
            e["responseStatus"] = new JsonObject { ["metadata"] = new JsonObject(), ["code"] = c };
        if (requestBody is not null && TryParse(requestBody) is { } request) e["requestObject"] = request;
        if (responseBody is not null && TryParse(responseBody) is { } response) e["responseObject"] = response;
        e["requestReceivedTimestamp"] = received.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'");
        e["stageTimestamp"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'");
        return e;
    }

    private static JsonNode? TryParse(string json)
    {
        return Application.Serialization.JsonNodes.TryParse(json);
    }
}
