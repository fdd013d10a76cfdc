using System.Text;
using System.Text.Json;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Microsoft.AspNetCore.Http.Features;

namespace ClusterRegistry.Api.Http;

/// <summary>
/// Reads request bodies defensively: at most 3 MiB (413 beyond, as kube-apiserver's MaxRequestBodyBytes), JSON
/// nesting bounded, YAML converted to JSON, every parse failure a 400 Status.
/// </summary>
public static class RequestBody
{
    public const int MaxBytes = 3 * 1024 * 1024;
    public const int MaxDepth = Domain.Meta.ApiJson.MaxDepth;

    public static async Task<byte[]> ReadBytesAsync(HttpContext http)
    {
        var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = MaxBytes + 1L;
        if (http.Request.ContentLength > MaxBytes) throw TooLarge();
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                buffer.Write(chunk, 0, n);
                if (buffer.Length > MaxBytes) throw TooLarge();
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge();
        }
        return buffer.ToArray();
    }

    private static ApiStatusException TooLarge() => ApiErrors.RequestEntityTooLarge($"limit is {MaxBytes}");

    /// <summary>Reads a JSON or YAML object body as a JSON element.</summary>
    public static async Task<JsonElement> ReadObjectAsync(HttpContext http, Func<string, ApiStatusException> error)
    {
        var type = AcceptHeader.ContentType(http.Request.ContentType) ?? MediaTypes.Json;
        if (type is not (MediaTypes.Json or MediaTypes.Yaml or "application/x-yaml" or "text/yaml"))
            throw ApiErrors.UnsupportedMediaType([MediaTypes.Json, MediaTypes.Yaml]);
        var bytes = await ReadBytesAsync(http);
        return Parse(bytes, type is MediaTypes.Json ? MediaTypes.Json : MediaTypes.Yaml, error);
    }

    /// <summary>Parses JSON, or YAML (any JSON document is also YAML), into an element; failures are 400.</summary>
    public static JsonElement Parse(byte[] bytes, string mediaType, Func<string, ApiStatusException> error)
    {
        if (bytes.Length == 0) throw error("EOF");
        // Invalid UTF-8 would only fail later, deep in decoding: reject it here as the malformed input it is.
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw error("invalid UTF-8 in the request body");
        if (mediaType == MediaTypes.Json)
        {
            try
            {
                using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = MaxDepth });
                return doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw error(Describe(e));
            }
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw error("error converting YAML to JSON: invalid UTF-8");
        }
        var node = Yaml.ToJson(text, error);
        try
        {
            using var doc = JsonDocument.Parse(node?.ToJsonString() ?? "null", new JsonDocumentOptions { MaxDepth = MaxDepth });
            return doc.RootElement.Clone();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw error(Describe(e));
        }
    }

    /// <summary>The 400 for an undecodable Cluster body.</summary>
    public static ApiStatusException ClusterDecodeError(string detail) => ApiErrors.CannotBeHandledAs(ClusterResource.Info, detail);

    private static string Describe(Exception e)
    {
        var msg = e.Message;
        if (msg.Contains("maximum configured depth", StringComparison.Ordinal)) return $"exceeded max depth of {MaxDepth}";
        var cut = msg.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return cut > 0 ? msg[..cut].TrimEnd('.', ' ') : msg;
    }
}
