using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Application.Serialization;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Patching;

/// <summary>
/// RFC 6902 JSON Patch over a JSON document (see docs/decisions/ADR-004-hand-written-patches.md for why this is
/// not the ASP.NET JsonPatch package). A malformed patch is 400; an operation that cannot apply is 422, as
/// kube-apiserver reports them.
/// </summary>
public static class JsonPatch
{
    public const int MaxOperations = 10000;

    /// <summary>
    /// The most bytes "copy" operations may add to a document in one patch: kube-apiserver's JSONPatchMaxCopyBytes
    /// (3 MiB), without which a 2 KB patch doubling an array into itself exhausts memory.
    /// </summary>
    public const long MaxCopyBytes = 3 * 1024 * 1024;

    /// <summary>
    /// The deepest a patched document may nest, as deep as a request body may (each operation can add depth through
    /// its path, so the body's own limit does not bound the result).
    /// </summary>
    public const int MaxDepth = ApiJson.MaxDepth;

    /// <summary>Parses the operations, rejecting malformed documents with 400 and too many operations with 413.</summary>
    public static IReadOnlyList<JsonObject> Parse(JsonNode? patch)
    {
        if (patch is not JsonArray ops)
            throw ApiErrors.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
        if (ops.Count > MaxOperations)
            throw ApiErrors.RequestEntityTooLarge($"The allowed maximum operations in a JSON patch is {MaxOperations}, got {ops.Count}");
        var result = new List<JsonObject>();
        foreach (var op in ops)
        {
            if (op is not JsonObject o || o["op"] is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                throw ApiErrors.BadRequest("json: cannot unmarshal into Go value of type jsonpatch.Operation: missing or invalid \"op\"");
            result.Add(o);
        }
        return result;
    }

    /// <summary>Applies the operations to a copy of <paramref name="document"/>; throws 422 when an operation fails.</summary>
    public static JsonNode Apply(JsonNode document, IReadOnlyList<JsonObject> operations)
    {
        var root = new JsonObject { ["r"] = document.DeepClone() };
        var copied = 0L;
        var walked = 0L;
        foreach (var op in operations)
        {
            var kind = op["op"]!.GetValue<string>();
            var path = PathOf(op, "path", kind);
            switch (kind)
            {
                case "add": Add(root, path, Nested(path, ValueOf(op, kind))); break;
                case "remove": Remove(root, path, kind); break;
                case "replace": Remove(root, path, kind); Add(root, path, Nested(path, ValueOf(op, kind))); break;
                case "move":
                {
                    var from = PathOf(op, "from", kind);
                    if (path.StartsWith(from + "/", StringComparison.Ordinal))
                        throw Fail($"move operation can not move to a child of its own location: {from} -> {path}");
                    var value = Remove(root, from, kind);
                    if (Tokens(path).Length > Tokens(from).Length)
                    {
                        // Moving deeper can exceed the depth limit; the walk that checks it is paid from the copy budget.
                        var (bytes, depth) = JsonSize.Measure(value, MaxCopyBytes - walked);
                        walked += bytes;
                        if (walked > MaxCopyBytes)
                            throw Fail($"Unable to complete the move, the accumulated size of values moved deeper exceeds the limit {MaxCopyBytes}");
                        CheckDepth(path, depth);
                    }
                    Add(root, path, value);
                    break;
                }
                case "copy":
                {
                    var value = Resolve(root, PathOf(op, "from", kind), kind);
                    var (bytes, depth) = JsonSize.Measure(value, MaxCopyBytes - copied);
                    copied += bytes;
                    if (copied > MaxCopyBytes)
                        throw Fail($"Unable to complete the copy, the accumulated size increase of copy is {copied}, exceeding the limit {MaxCopyBytes}");
                    CheckDepth(path, depth);
                    Add(root, path, value?.DeepClone());
                    break;
                }
                case "test":
                {
                    var actual = Resolve(root, path, kind);
                    var expected = ValueOf(op, kind);
                    if (!JsonNode.DeepEquals(actual, expected))
                        throw Fail($"testing value {path} failed: test failed");
                    break;
                }
                default:
                    throw ApiErrors.BadRequest($"Unexpected kind: {kind}");
            }
        }
        return root["r"] ?? throw Fail("the patch removed the whole document");
    }

    /// <summary>Checks the depth a value would reach at <paramref name="path"/> before it is placed there.</summary>
    private static JsonNode? Nested(string path, JsonNode? value)
    {
        if (value is JsonObject or JsonArray) CheckDepth(path, JsonSize.Measure(value, long.MaxValue).Depth);
        return value;
    }

    private static void CheckDepth(string path, int valueDepth)
    {
        if (Tokens(path).Length - 1 + valueDepth > MaxDepth)
            throw Fail($"the patched object would exceed the maximum nesting depth of {MaxDepth}");
    }

    private static string PathOf(JsonObject op, string name, string kind)
    {
        if (op[name] is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
            throw ApiErrors.BadRequest($"{kind} operation does not apply: doc is missing {name} field");
        var path = v.GetValue<string>();
        if (path.Length > 0 && path[0] != '/') throw Fail($"invalid JSON pointer: \"{path}\"");
        return path;
    }

    private static JsonNode? ValueOf(JsonObject op, string kind) =>
        op.ContainsKey("value") ? op["value"]?.DeepClone() : throw Fail($"{kind} operation does not apply: doc is missing value field");

    private static string[] Tokens(string path) =>
        ("/r" + path).Split('/').Skip(1).Select(t => t.Replace("~1", "/").Replace("~0", "~")).ToArray();

    private static JsonNode? Resolve(JsonObject root, string path, string kind)
    {
        JsonNode? node = root;
        foreach (var token in Tokens(path))
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(token, out var child) => child,
                JsonArray a when TryIndex(token, a.Count - 1, out var i) => a[i],
                _ => throw Fail($"{kind} operation does not apply: doc is missing path: \"{path}\": missing value"),
            };
        }
        return node;
    }

    private static (JsonNode Parent, string Last) Parent(JsonObject root, string path, string kind)
    {
        var tokens = Tokens(path);
        JsonNode? node = root;
        foreach (var token in tokens[..^1])
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(token, out var child) && child is not null => child,
                JsonArray a when TryIndex(token, a.Count - 1, out var i) && a[i] is not null => a[i],
                _ => throw Fail($"{kind} operation does not apply: doc is missing path: \"{path}\": missing value"),
            };
        }
        return (node!, tokens[^1]);
    }

    private static void Add(JsonObject root, string path, JsonNode? value)
    {
        if (path.Length == 0) { root["r"] = value; return; }
        var (parent, last) = Parent(root, path, "add");
        switch (parent)
        {
            case JsonObject o: o[last] = value; break;
            case JsonArray a when last == "-": a.Add(value); break;
            case JsonArray a when TryIndex(last, a.Count, out var i): a.Insert(i, value); break;
            default: throw Fail($"add operation does not apply: doc is missing path: \"{path}\": missing value");
        }
    }

    private static JsonNode? Remove(JsonObject root, string path, string kind)
    {
        if (path.Length == 0) { var whole = root["r"]; root["r"] = null; return whole?.DeepClone(); }
        var (parent, last) = Parent(root, path, kind);
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last):
            {
                var value = o[last];
                o.Remove(last);
                return value;
            }
            case JsonArray a when TryIndex(last, a.Count - 1, out var i):
            {
                var value = a[i];
                a.RemoveAt(i);
                return value;
            }
            default:
                throw Fail($"{kind} operation does not apply: doc is missing path: \"{path}\": missing value");
        }
    }

    private static bool TryIndex(string token, int max, out int index) =>
        int.TryParse(token, System.Globalization.NumberStyles.None, null, out index) && index <= max
        && (token == "0" || !token.StartsWith('0'));

    private static ApiStatusException Fail(string message) => new(422, "Invalid", message);
}
