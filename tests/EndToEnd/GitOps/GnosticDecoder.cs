using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ClusterRegistry.Tests.EndToEnd.GitOps;

/// <summary>
/// Turns a decoded gnostic <c>openapi.v2.Document</c> back into OpenAPI v2 JSON by walking the protobuf descriptors,
/// with gnostic's naming rules, so the test checks the server's converter without sharing any of its code:
/// <c>Named*</c> lists (vendor_extension, additional_properties, path, response_code) are JSON object members,
/// one-of wrappers stand for their set case, <c>Any</c> is YAML text, <c>_ref</c> is <c>$ref</c>.
/// </summary>
public static class GnosticDecoder
{
    private static readonly HashSet<string> NamedLists = ["vendor_extension", "additional_properties", "path", "response_code"];

    public static JsonNode? ToJson(IMessage message)
    {
        var d = message.Descriptor;
        switch (d.Name)
        {
            case "Any": return Yaml(((Openapi.V2.Any)message).Yaml);
            case "TypeItem":
            {
                var types = ((Openapi.V2.TypeItem)message).Value;
                return types.Count == 1 ? types[0] : new JsonArray(types.Select(t => (JsonNode)t).ToArray());
            }
            case "ItemsItem":
            {
                var schemas = ((Openapi.V2.ItemsItem)message).Schema;
                return schemas.Count == 1 ? ToJson(schemas[0]) : new JsonArray(schemas.Select(ToJson).ToArray());
            }
            case "StringArray": return new JsonArray(((Openapi.V2.StringArray)message).Value.Select(v => (JsonNode)v).ToArray());
        }
        if (d.Oneofs.Count == 1 && d.Oneofs[0].Name == "oneof")
        {
            var set = d.Oneofs[0].Accessor.GetCaseFieldDescriptor(message);
            return set is null ? null : Value(set, set.Accessor.GetValue(message));
        }
        var o = new JsonObject();
        foreach (var field in d.Fields.InDeclarationOrder())
        {
            var value = field.Accessor.GetValue(message);
            if (field.IsRepeated && NamedLists.Contains(field.Name))
            {
                foreach (IMessage named in (System.Collections.IEnumerable)value)
                {
                    var nameField = named.Descriptor.FindFieldByName("name");
                    var valueField = named.Descriptor.FindFieldByName("value");
                    o[(string)nameField.Accessor.GetValue(named)] = Value(valueField, valueField.Accessor.GetValue(named));
                }
                continue;
            }
            if (!IsSet(field, value)) continue;
            o[field.Name == "_ref" ? "$ref" : field.JsonName] = field.IsRepeated
                ? new JsonArray(((System.Collections.IEnumerable)value).Cast<object>().Select(v => Value(field, v)).ToArray())
                : Value(field, value);
        }
        return o;
    }

    private static bool IsSet(FieldDescriptor field, object? value) => value switch
    {
        null => false,
        System.Collections.ICollection c => c.Count > 0,
        string s => s.Length > 0,
        bool b => b,
        long l => l != 0,
        double x => x != 0,
        _ => true,
    };

    private static JsonNode? Value(FieldDescriptor field, object? value) => value switch
    {
        null => null,
        IMessage m => ToJson(m),
        string s => s,
        bool b => b,
        long l => l,
        double x => x,
        _ => throw new NotSupportedException($"{field.FullName}: {value.GetType()}"),
    };

    /// <summary>YAML text as JSON: plain scalars that read as booleans, numbers or null are those, as in YAML 1.1.</summary>
    private static JsonNode? Yaml(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Count == 0 ? null : Node(stream.Documents[0].RootNode);
    }

    private static JsonNode? Node(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, Node(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(Node).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain } s when s.Value is "true" or "false" => s.Value == "true",
        YamlScalarNode { Style: ScalarStyle.Plain } s when s.Value is "null" or "~" or "" => null,
        YamlScalarNode { Style: ScalarStyle.Plain } s when Regex.IsMatch(s.Value!, "^-?[0-9]+$") => long.Parse(s.Value!, System.Globalization.CultureInfo.InvariantCulture),
        YamlScalarNode s => s.Value,
        _ => throw new NotSupportedException(node.GetType().Name),
    };

    /// <summary>
    /// Drops what proto3 cannot carry (false, 0, "" and an empty list are the same as absent), so a JSON document and its decoded
    /// protobuf compare equal exactly when every value that can be carried was.
    /// </summary>
    public static JsonNode? WithoutProtoDefaults(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var copy = new JsonObject();
                foreach (var (key, value) in o)
                {
                    if (value is JsonValue v && (v.ToJsonString() is "false" or "0" or "\"\"")) continue;
                    if (value is JsonArray { Count: 0 }) continue;
                    copy[key] = WithoutProtoDefaults(value);
                }
                return copy;
            case JsonArray a:
                return new JsonArray(a.Select(WithoutProtoDefaults).ToArray());
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>The paths at which two JSON trees differ, for a readable assertion message.</summary>
    public static IEnumerable<string> Differences(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        if (expected is JsonObject eo && actual is JsonObject ao)
        {
            foreach (var (key, value) in eo)
            {
                if (!ao.ContainsKey(key)) yield return $"{path}.{key}: missing from the protobuf document";
                else foreach (var d in Differences(value, ao[key], $"{path}.{key}")) yield return d;
            }
            foreach (var (key, _) in ao)
                if (!eo.ContainsKey(key)) yield return $"{path}.{key}: only in the protobuf document";
        }
        else if (expected is JsonArray ea && actual is JsonArray aa && ea.Count == aa.Count)
        {
            for (var i = 0; i < ea.Count; i++)
                foreach (var d in Differences(ea[i], aa[i], $"{path}[{i}]")) yield return d;
        }
        else if (!JsonNode.DeepEquals(expected, actual))
        {
            yield return $"{path}: JSON {expected?.ToJsonString() ?? "null"}, protobuf {actual?.ToJsonString() ?? "null"}";
        }
    }
}
