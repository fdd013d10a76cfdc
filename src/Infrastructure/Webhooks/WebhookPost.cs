using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClusterRegistry.Infrastructure.Webhooks;

/// <summary>
/// POSTs a review the way kube-apiserver does: the whole body serialized first and sent with a Content-Length, and
/// <c>Accept: application/json</c>. A streamed (chunked) body reads as empty in webhooks that read by
/// Content-Length (Python's http.server, CGI and WSGI servers, small handlers), and the caller would then fail closed.
/// </summary>
internal static class WebhookPost
{
    public static async Task<JsonObject> SendAsync(HttpClient http, Uri server, JsonObject review, CancellationToken ct)
    {
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(review));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, server) { Content = content };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"webhook answered {(int)response.StatusCode}");
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        return JsonNode.Parse(body) as JsonObject ?? throw new JsonException("the webhook's answer is not a JSON object");
    }

    /// <summary>The webhook for a log line: scheme, host, port and path, never credentials in the URL or its query.</summary>
    public static string Describe(Uri server) => $"{server.Scheme}://{server.Authority}{server.AbsolutePath}";
}
