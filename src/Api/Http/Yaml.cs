using System.Globalization;
using System.Text.Json.Nodes;
using ClusterRegistry.Domain.Meta;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace ClusterRegistry.Api.Http;

/// <summary>YAML in and out, through the same JSON model everything else uses (as sigs.k8s.io/yaml does).</summary>
public static class Yaml
{
    private const int MaxNodes = 200_000;
    private static readonly ISerializer Serializer = new SerializerBuilder().WithQuotingNecessaryStrings().Build();

    /// <summary>Converts the first YAML document to JSON; a malformed document is a 400.</summary>
    public static JsonNode? ToJson(string yaml, Func<string, ApiStatusException> error)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw error($"error converting YAML to JSON: yaml: line {e.Start.Line}: {e.Message}");
        }
        if (stream.Documents.Count == 0) return null;
        var count = 0;
        return Convert(stream.Documents[0].RootNode, ref count, error);
    }

    private static JsonNode? Convert(YamlNode node, ref int count, Func<string, ApiStatusException> error)
    {
        if (++count > MaxNodes) throw error("error converting YAML to JSON: document too large");
        switch (node)
        {
            case YamlMappingNode map:
            {
                var o = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    var key = k is YamlScalarNode s ? s.Value ?? "" : throw error("error converting YAML to JSON: non-scalar map key");
                    o[key] = Convert(v, ref count, error);
                }
                return o;
            }
            case YamlSequenceNode seq:
            {
                var a = new JsonArray();
                foreach (var item in seq.Children) a.Add(Convert(item, ref count, error));
                return a;
            }
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw error("error converting YAML to JSON: unsupported node");
        }
    }

    private static JsonValue? Scalar(YamlScalarNode s)
    {
        var v = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(v);
        switch (v)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (v.Length > 0 && (char.IsDigit(v[0]) || v[0] is '-' or '+' or '.')
            && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            return JsonValue.Create(d);
        return JsonValue.Create(v);
    }

    /// <summary>Writes JSON as block YAML, quoting strings that would otherwise read back as other types.</summary>
    public static string FromJson(JsonNode? node) => Serializer.Serialize(ToPlain(node));

    private static object? ToPlain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => ToPlain(p.Value)),
        JsonArray a => a.Select(ToPlain).ToList(),
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        _ => node.GetValue<double>(),
    };
}
