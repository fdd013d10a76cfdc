using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Application.Abstractions;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Infrastructure.Webhooks;

/// <summary>Settings of the SubjectAccessReview webhook, named after kube-apiserver's flags.</summary>
public sealed record WebhookAuthorizerOptions(
    WebhookKubeconfig Config,
    string Version = "v1",
    TimeSpan? AuthorizedTtl = null,
    TimeSpan? UnauthorizedTtl = null,
    TimeSpan? Timeout = null);

/// <summary>
/// Authorizes by POSTing a SubjectAccessReview to a webhook, as kube-apiserver's webhook authorizer does. Allowed and
/// denied answers are cached with separate TTLs; a webhook that errors or times out (after a short backoff) denies:
/// the authorizer fails closed. v1beta1 sends <c>group</c> where v1 sends <c>groups</c>, as the original did.
/// </summary>
public sealed class WebhookAuthorizer : IAuthorizer, IDisposable
{
    private readonly HttpClient _http;
    private readonly WebhookAuthorizerOptions _options;
    private readonly ILogger<WebhookAuthorizer> _logger;
    private readonly WebhookMetrics? _metrics;
    private readonly ConcurrentDictionary<string, (AuthorizationDecision Decision, DateTime Expires)> _cache = new();
    private readonly TimeSpan _authorizedTtl;
    private readonly TimeSpan _unauthorizedTtl;
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(300)];

    public WebhookAuthorizer(WebhookAuthorizerOptions options, ILogger<WebhookAuthorizer> logger, WebhookMetrics? metrics = null)
    {
        _metrics = metrics;
        if (options.Version is not ("v1" or "v1beta1"))
            throw new InvalidOperationException($"--authorization-webhook-version must be v1 or v1beta1, got \"{options.Version}\"");
        _options = options;
        _logger = logger;
        _authorizedTtl = options.AuthorizedTtl ?? TimeSpan.FromMinutes(5);
        _unauthorizedTtl = options.UnauthorizedTtl ?? TimeSpan.FromSeconds(30);
        _http = options.Config.CreateClient(options.Timeout ?? TimeSpan.FromSeconds(5));
    }

    public async ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken ct)
    {
        var review = Review(attributes);
        var key = review.ToJsonString();
        if (_cache.TryGetValue(key, out var cached) && cached.Expires > DateTime.UtcNow) return cached.Decision;

        for (var attempt = 0; ; attempt++)
        {
            using var span = Observability.Telemetry.Tracing.StartActivity("authorization webhook", System.Diagnostics.ActivityKind.Client);
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                var body = await WebhookPost.SendAsync(_http, _options.Config.Server, review, ct);
                _metrics?.Record(WebhookMetrics.Success, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
                var status = body["status"] as JsonObject;
                var allowed = status?["allowed"]?.GetValue<bool>() == true;
                var denied = status?["denied"]?.GetValue<bool>() == true;
                var reason = status?["reason"]?.GetValue<string>() ?? "";
                var evaluationError = status?["evaluationError"]?.GetValue<string>();
                // An allow and a deny together are a deny, as in kube-apiserver.
                var decision = new AuthorizationDecision(allowed && !denied, reason.Length > 0 ? reason : evaluationError ?? "");
                _cache[key] = (decision, DateTime.UtcNow + (decision.Allowed ? _authorizedTtl : _unauthorizedTtl));
                return decision;
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException or InvalidOperationException
                                      && !ct.IsCancellationRequested)
            {
                _metrics?.Record(e is TaskCanceledException ? WebhookMetrics.Timeout : WebhookMetrics.Error,
                    System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
                if (attempt < Backoff.Length)
                {
                    await Task.Delay(Backoff[attempt], ct);
                    continue;
                }
                WebhookLog.AuthorizerFailed(_logger, WebhookPost.Describe(_options.Config.Server), Observability.ErrorText.Cause(e));
                return new AuthorizationDecision(false, "authorization webhook error");
            }
        }
    }

    /// <summary>The SubjectAccessReview for <paramref name="a"/> in the configured version.</summary>
    public JsonObject Review(AuthorizationAttributes a)
    {
        var spec = new JsonObject { ["user"] = a.User.Name };
        if (a.User.Uid.Length > 0) spec["uid"] = a.User.Uid;
        spec[_options.Version == "v1beta1" ? "group" : "groups"] = new JsonArray(a.User.Groups.Select(g => (JsonNode)g).ToArray());
        if (a.User.Extra is { Count: > 0 } extra)
            spec["extra"] = new JsonObject(extra.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonArray(kv.Value.Select(v => (JsonNode)v).ToArray()))));
        if (a.IsResourceRequest)
        {
            var ra = new JsonObject { ["verb"] = a.Verb, ["group"] = a.ApiGroup, ["version"] = a.ApiVersion, ["resource"] = a.Resource };
            if (a.Subresource.Length > 0) ra["subresource"] = a.Subresource;
            if (a.Name.Length > 0) ra["name"] = a.Name;
            spec["resourceAttributes"] = ra;
        }
        else
        {
            spec["nonResourceAttributes"] = new JsonObject { ["path"] = a.Path, ["verb"] = a.Verb };
        }
        return new JsonObject
        {
            ["apiVersion"] = "authorization.k8s.io/" + _options.Version,
            ["kind"] = "SubjectAccessReview",
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = spec,
            ["status"] = new JsonObject { ["allowed"] = false },
        };
    }

    public void Dispose() => _http.Dispose();
}

internal static partial class WebhookLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Authorization webhook {Webhook} failed, denying: {Error}")]
    public static partial void AuthorizerFailed(ILogger logger, string webhook, string error);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Token review webhook {Webhook} failed, not authenticated: {Error}")]
    public static partial void TokenReviewFailed(ILogger logger, string webhook, string error);
}
