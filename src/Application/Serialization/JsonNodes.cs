using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Serialization;

/// <summary>
/// JSON documents as mutable nodes, built so that a repeated member never breaks later access: the last one wins,
/// as Go's decoder does (JsonNode.Parse would throw at first use of an object with a duplicate name).
/// </summary>
public static class JsonNodes
{
    public static JsonNode? FromElement(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => FromObject(element),
        JsonValueKind.Array => new JsonArray(element.EnumerateArray().Select(FromElement).ToArray()),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => JsonValue.Create(element.Clone()),
    };

    private static JsonObject FromObject(JsonElement element)
    {
        var o = new JsonObject();
        foreach (var p in element.EnumerateObject())
        {
            o.Remove(p.Name);
            o[p.Name] = FromElement(p.Value);
        }
        return o;
    }

    /// <summary>
    /// The nodes <c>JsonSerializer.SerializeToNode(value, ApiJson.Options)</c> returns, from the bytes
    /// <c>JsonSerializer.SerializeToUtf8Bytes(value, ApiJson.Options)</c> wrote: SerializeToNode writes those bytes and
    /// parses them with these options, so a caller that has the bytes already parses them instead of encoding again.
    /// </summary>
    public static JsonNode? ParseSerialized(ReadOnlySpan<byte> json) =>
        JsonNode.Parse(json, new JsonNodeOptions { PropertyNameCaseInsensitive = ApiJson.Options.PropertyNameCaseInsensitive },
            new JsonDocumentOptions
            {
                MaxDepth = ApiJson.Options.MaxDepth,
                AllowTrailingCommas = ApiJson.Options.AllowTrailingCommas,
                CommentHandling = ApiJson.Options.ReadCommentHandling,
            });

    /// <summary>Parses text into nodes the same way; null when it is not JSON.</summary>
    public static JsonNode? TryParse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return FromElement(doc.RootElement);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
