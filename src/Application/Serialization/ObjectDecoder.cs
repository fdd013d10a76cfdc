using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Serialization;

/// <summary>
/// Turns request JSON into a typed object the way kube-apiserver decodes a CRD body: field names are matched
/// exactly, then case-insensitively (the original registry decoded case-insensitively and its guide spells
/// <c>clientCidr</c>), unknown and duplicate fields are reported per <see cref="FieldValidationMode"/>, and the
/// output always uses the canonical names. The walk follows the serializer's own type metadata, so the schema
/// cannot drift from the types.
/// </summary>
public static class ObjectDecoder
{
    /// <summary>Decodes <paramref name="json"/> as <typeparamref name="T"/>; throws 400 BadRequest on errors.</summary>
    public static T Decode<T>(JsonElement json, FieldValidationMode mode, GroupResource resource, Action<string> warn)
    {
        var problems = new List<string>();
        var canonical = Walk(json, ApiJson.Options.GetTypeInfo(typeof(T)), "", problems, warn);
        if (problems.Count > 0)
        {
            if (mode == FieldValidationMode.Strict)
                throw ApiErrors.CannotBeHandledAs(resource, "strict decoding error: " + string.Join(", ", problems));
            if (mode == FieldValidationMode.Warn)
                foreach (var p in problems) warn(p);
        }
        try
        {
            return canonical.Deserialize<T>(ApiJson.Options) ?? throw new JsonException("the body is null");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NotSupportedException)
        {
            throw ApiErrors.CannotBeHandledAs(resource, Describe(e));
        }
    }

    /// <summary>Decodes and also returns the canonical JSON, for callers that keep working on the document.</summary>
    public static JsonNode Canonicalize<T>(JsonElement json, List<string> problems, Action<string> warn) =>
        Walk(json, ApiJson.Options.GetTypeInfo(typeof(T)), "", problems, warn) ?? new JsonObject();

    private static string Describe(Exception e)
    {
        var msg = e.Message;
        var cut = msg.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return cut > 0 ? msg[..cut].TrimEnd('.', ' ') : msg;
    }

    private static JsonNode? Walk(JsonElement element, JsonTypeInfo info, string path, List<string> problems, Action<string> warn)
    {
        if (element.ValueKind == JsonValueKind.Null) return null;
        if (info.Type == typeof(JsonObject) || info.Type == typeof(JsonNode) || info.Type == typeof(JsonElement))
            return JsonNodes.FromElement(element);

        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object when element.ValueKind == JsonValueKind.Object:
            {
                var result = new JsonObject();
                var exact = info.Properties.ToDictionary(p => p.Name, StringComparer.Ordinal);
                foreach (var prop in element.EnumerateObject())
                {
                    if (!exact.TryGetValue(prop.Name, out var target))
                    {
                        target = info.Properties.FirstOrDefault(p => string.Equals(p.Name, prop.Name, StringComparison.OrdinalIgnoreCase));
                        if (target is null)
                        {
                            problems.Add($"unknown field \"{Join(path, prop.Name)}\"");
                            continue;
                        }
                        warn($"field \"{Join(path, prop.Name)}\" was read as \"{target.Name}\"; field names are case-sensitive");
                    }
                    if (result.ContainsKey(target.Name))
                    {
                        problems.Add($"duplicate field \"{Join(path, target.Name)}\"");
                        result.Remove(target.Name);
                    }
                    result[target.Name] = Walk(prop.Value, ApiJson.Options.GetTypeInfo(target.PropertyType), Join(path, target.Name), problems, warn);
                }
                return result;
            }
            case JsonTypeInfoKind.Enumerable when element.ValueKind == JsonValueKind.Array && info.ElementType is not null
                                                && info.Type != typeof(byte[]):
            {
                var result = new JsonArray();
                var elementInfo = ApiJson.Options.GetTypeInfo(info.ElementType);
                var i = 0;
                foreach (var item in element.EnumerateArray())
                    result.Add(Walk(item, elementInfo, $"{path}[{i++}]", problems, warn));
                return result;
            }
            case JsonTypeInfoKind.Dictionary when element.ValueKind == JsonValueKind.Object && info.ElementType is not null:
            {
                var result = new JsonObject();
                var valueInfo = ApiJson.Options.GetTypeInfo(info.ElementType);
                foreach (var prop in element.EnumerateObject())
                {
                    if (result.ContainsKey(prop.Name))
                    {
                        problems.Add($"duplicate field \"{Join(path, prop.Name)}\"");
                        result.Remove(prop.Name);
                    }
                    result[prop.Name] = Walk(prop.Value, valueInfo, Join(path, prop.Name), problems, warn);
                }
                return result;
            }
            default:
                // Primitives, and shapes that do not match the type: the serializer reports type errors.
                return JsonNodes.FromElement(element);
        }
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;
}
