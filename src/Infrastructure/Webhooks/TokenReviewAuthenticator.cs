using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Application.Abstractions;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Infrastructure.Webhooks;

/// <summary>
/// Authenticates bearer tokens with a TokenReview (authentication.k8s.io/v1) webhook, caching answers for a TTL
/// (<c>--authentication-token-webhook-cache-ttl</c>, default 2 minutes). The cache is keyed by a hash of the token,
/// never the token itself. A failing webhook authenticates no one.
/// </summary>
public sealed class TokenReviewAuthenticator(WebhookKubeconfig config, TimeSpan cacheTtl, ILogger<TokenReviewAuthenticator> logger) : IDisposable
{
    private readonly HttpClient _http = config.CreateClient(TimeSpan.FromSeconds(5));
    private readonly ConcurrentDictionary<string, (UserInfo? User, DateTime Expires)> _cache = new();

    public async ValueTask<UserInfo?> AuthenticateAsync(string token, CancellationToken ct)
    {
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        if (_cache.TryGetValue(key, out var cached) && cached.Expires > DateTime.UtcNow) return cached.User;
        var review = new JsonObject
        {
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["kind"] = "TokenReview",
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = new JsonObject { ["token"] = token },
            ["status"] = new JsonObject { ["user"] = new JsonObject() },
        };
        try
        {
            var status = (await WebhookPost.SendAsync(_http, config.Server, review, ct))["status"] as JsonObject;
            UserInfo? user = null;
            if (status?["authenticated"]?.GetValue<bool>() == true && status["user"] is JsonObject u && u["username"]?.GetValue<string>() is { Length: > 0 } name)
            {
                var groups = (u["groups"] as JsonArray)?.Select(g => g!.GetValue<string>()).ToList() ?? [];
                var extra = (u["extra"] as JsonObject)?.ToDictionary(kv => kv.Key,
                    kv => (IReadOnlyList<string>)((kv.Value as JsonArray)?.Select(v => v!.GetValue<string>()).ToList() ?? []));
                user = new UserInfo(name, u["uid"]?.GetValue<string>() ?? "", groups, extra);
            }
            _cache[key] = (user, DateTime.UtcNow + cacheTtl);
            return user;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            WebhookLog.TokenReviewFailed(logger, WebhookPost.Describe(config.Server), Observability.ErrorText.Cause(e));
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
