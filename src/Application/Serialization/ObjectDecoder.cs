using System.Collections.Concurrent;
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
        // Most bodies are already canonical (every name exact, known and given once): their canonical JSON is the body
        // itself, so it is decoded as it is instead of being copied into nodes first. Anything else, and any body the
        // serializer refuses, takes the walk below, which reports exactly as before.
        var info = ApiJson.Options.GetTypeInfo(typeof(T));
        if (IsCanonical(json, info))
        {
            try
            {
                if (json.Deserialize<T>(ApiJson.Options) is { } decoded) return decoded;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NotSupportedException)
            {
                // Reported by the walk's decode below, with the message it has always had.
            }
        }
        var problems = new List<string>();
        var canonical = Walk(json, info, "", problems, warn);
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
                var exact = PropertiesOf(info);
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

    /// <summary>The properties of an object type by exact name, built once per type (the types are fixed).</summary>
    private static readonly ConcurrentDictionary<JsonTypeInfo, Dictionary<string, JsonPropertyInfo>> Properties = new();

    private static Dictionary<string, JsonPropertyInfo> PropertiesOf(JsonTypeInfo info) =>
        Properties.GetOrAdd(info, static i => i.Properties.ToDictionary(p => p.Name, StringComparer.Ordinal));

    /// <summary>
    /// True when <see cref="Walk"/> would find no problem and read no name case-insensitively, and its copy would equal
    /// <paramref name="element"/>: every name is exact and known, no object (free-form ones included) repeats a name.
    /// </summary>
    private static bool IsCanonical(JsonElement element, JsonTypeInfo info)
    {
        if (element.ValueKind == JsonValueKind.Null) return true;
        if (info.Type == typeof(JsonObject) || info.Type == typeof(JsonNode) || info.Type == typeof(JsonElement))
            return NoRepeatedNames(element);

        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object when element.ValueKind == JsonValueKind.Object:
            {
                var exact = PropertiesOf(info);
                HashSet<string>? seen = null;
                foreach (var prop in element.EnumerateObject())
                {
                    if (!exact.TryGetValue(prop.Name, out var target)) return false;
                    if (!(seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(target.Name)) return false;
                    if (!IsCanonical(prop.Value, ApiJson.Options.GetTypeInfo(target.PropertyType))) return false;
                }
                return true;
            }
            case JsonTypeInfoKind.Enumerable when element.ValueKind == JsonValueKind.Array && info.ElementType is not null
                                                && info.Type != typeof(byte[]):
            {
                var elementInfo = ApiJson.Options.GetTypeInfo(info.ElementType);
                foreach (var item in element.EnumerateArray())
                    if (!IsCanonical(item, elementInfo)) return false;
                return true;
            }
            case JsonTypeInfoKind.Dictionary when element.ValueKind == JsonValueKind.Object && info.ElementType is not null:
            {
                var valueInfo = ApiJson.Options.GetTypeInfo(info.ElementType);
                HashSet<string>? seen = null;
                foreach (var prop in element.EnumerateObject())
                {
                    if (!(seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(prop.Name)) return false;
                    if (!IsCanonical(prop.Value, valueInfo)) return false;
                }
                return true;
            }
            default:
                return NoRepeatedNames(element);
        }
    }

    /// <summary>True when no object in <paramref name="element"/> repeats a name (the walk's copy keeps only the last).</summary>
    private static bool NoRepeatedNames(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
            {
                HashSet<string>? seen = null;
                foreach (var prop in element.EnumerateObject())
                    if (!(seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(prop.Name) || !NoRepeatedNames(prop.Value)) return false;
                return true;
            }
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                    if (!NoRepeatedNames(item)) return false;
                return true;
            default:
                return true;
        }
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;
}
