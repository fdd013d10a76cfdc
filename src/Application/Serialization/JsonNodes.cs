using System.Text.Json;
using System.Text.Json.Nodes;

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
