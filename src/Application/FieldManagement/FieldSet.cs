using System.Text;
using System.Text.Json.Nodes;
using ClusterRegistry.Application.Patching;

namespace ClusterRegistry.Application.FieldManagement;

/// <summary>
/// A set of field paths in structured-merge-diff's FieldsV1 vocabulary: each path is a list of segments
/// <c>f:name</c> (struct field or map key), <c>k:{"key":"value"}</c> (keyed list item) and <c>v:value</c> (set item).
/// A path to a list item or set value names the item itself.
/// </summary>
public sealed class FieldSet
{
    private readonly HashSet<string> _paths;

    public FieldSet() => _paths = new(StringComparer.Ordinal);

    private FieldSet(IEnumerable<string> paths) => _paths = new(paths, StringComparer.Ordinal);

    private const char Separator = '\n';

    public int Count => _paths.Count;
    public bool Contains(string path) => _paths.Contains(path);
    public IEnumerable<string> Paths => _paths;
    public static string[] Segments(string path) => path.Split(Separator);
    public static string Join(IEnumerable<string> segments) => string.Join(Separator, segments);

    public static FieldSet Of(params string[] paths) => new(paths);

    /// <summary>True when the path names a keyed list item or a set value itself (its last segment is k: or v:).</summary>
    public static bool IsItem(string path)
    {
        var last = path[(path.LastIndexOf(Separator) + 1)..];
        return last.StartsWith("k:", StringComparison.Ordinal) || last.StartsWith("v:", StringComparison.Ordinal);
    }

    /// <summary>True when a property name anywhere in <paramref name="node"/> holds the separator: its paths cannot be walked.</summary>
    public static bool AnyNameHoldsSeparator(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o)
                    if (name.Contains(Separator) || AnyNameHoldsSeparator(value)) return true;
                return false;
            case JsonArray a:
                foreach (var item in a)
                    if (AnyNameHoldsSeparator(item)) return true;
                return false;
            default:
                return false;
        }
    }

    public bool SetEquals(FieldSet other) => _paths.SetEquals(other._paths);
    public FieldSet Union(FieldSet other) => new(_paths.Union(other._paths));
    public FieldSet Except(FieldSet other) => new(_paths.Where(p => !other._paths.Contains(p)));
    public FieldSet Intersect(FieldSet other) => new(_paths.Where(other._paths.Contains));
    public FieldSet Where(Func<string, bool> predicate) => new(_paths.Where(predicate));

    /// <summary>Every owned leaf of <paramref name="node"/> (a value of <paramref name="shape"/>), minus server-owned metadata.</summary>
    public static FieldSet Leaves(JsonNode? node, TypeShape shape)
    {
        var set = new FieldSet();
        Collect(node, shape, "", set._paths, top: true);
        return set;
    }

    private static readonly HashSet<string> ServerOwnedTop = ["apiVersion", "kind"];
    private static readonly HashSet<string> ServerOwnedMeta =
        ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "selfLink", "managedFields",
         "deletionTimestamp", "deletionGracePeriodSeconds", "clusterName", "generateName"];

    /// <summary>A path one segment longer (segments are never empty, so the empty path is the root's).</summary>
    private static string Append(string path, string segment) => path.Length == 0 ? segment : string.Concat(path, "\n", segment);

    // The path so far is kept joined: each leaf's path is built once, not re-joined from a list of segments.
    private static void Collect(JsonNode? node, TypeShape? shape, string prefix, HashSet<string> into, bool top = false)
    {
        switch (node)
        {
            case JsonObject o when shape is { Kind: ShapeKind.Struct or ShapeKind.Map }:
                if (o.Count == 0 && prefix.Length > 0) into.Add(prefix);
                foreach (var (name, value) in o)
                {
                    if (value is null) continue;
                    if (top && ServerOwnedTop.Contains(name)) continue;
                    if (top && name == "metadata" && value is JsonObject meta)
                    {
                        var metaPath = Append(prefix, "f:metadata");
                        foreach (var (mName, mValue) in meta)
                        {
                            if (mValue is null || ServerOwnedMeta.Contains(mName)) continue;
                            Collect(mValue, shape.Child("metadata")!.Child(mName), Append(metaPath, "f:" + mName), into);
                        }
                        continue;
                    }
                    Collect(value, shape.Child(name), Append(prefix, "f:" + name), into);
                }
                break;
            case JsonArray a when shape is { Kind: ShapeKind.MapList }:
                if (a.Count == 0) into.Add(prefix);
                foreach (var item in a)
                {
                    var itemPath = Append(prefix, "k:" + shape.KeyOf(item).ToJsonString());
                    into.Add(itemPath);
                    if (item is JsonObject io)
                        foreach (var (name, value) in io)
                            if (value is not null) Collect(value, shape.Item.Child(name), Append(itemPath, "f:" + name), into);
                }
                break;
            case JsonArray a when shape is { Kind: ShapeKind.SetList }:
                if (a.Count == 0) into.Add(prefix);
                foreach (var item in a) into.Add(Append(prefix, "v:" + (item?.ToJsonString() ?? "null")));
                break;
            default:
                into.Add(prefix);
                break;
        }
    }

    /// <summary>The FieldsV1 trie: nested objects keyed by segment, <c>{}</c> at leaves, <c>".": {}</c> where an inner node is also owned.</summary>
    public JsonObject ToFieldsV1()
    {
        var root = new JsonObject();
        foreach (var path in _paths.OrderBy(p => p, StringComparer.Ordinal))
        {
            var node = root;
            foreach (var segment in Segments(path))
            {
                if (node[segment] is not JsonObject child)
                {
                    child = new JsonObject();
                    node[segment] = child;
                }
                node = child;
            }
            if (node.Count > 0) node["."] = new JsonObject();
            else node["\u0000leaf"] = true;
        }
        Finish(root);
        return root;
    }

    private static void Finish(JsonObject node)
    {
        var leaf = node.Remove("\u0000leaf");
        foreach (var (_, child) in node.ToList()) if (child is JsonObject c) Finish(c);
        if (leaf && node.Count > 0 && !node.ContainsKey(".")) node["."] = new JsonObject();
    }

    public static FieldSet FromFieldsV1(JsonObject? trie)
    {
        var set = new FieldSet();
        if (trie is not null) Read(trie, [], set._paths);
        return set;
    }

    private static void Read(JsonObject node, List<string> prefix, HashSet<string> into)
    {
        foreach (var (segment, child) in node)
        {
            if (segment == ".")
            {
                if (prefix.Count > 0) into.Add(Join(prefix));
                continue;
            }
            if (!IsValidSegment(segment))
                throw ClusterRegistry.Domain.Meta.ApiErrors.Invalid(ClusterRegistry.Domain.Clusters.ClusterResource.Info, "",
                    [ClusterRegistry.Domain.Meta.FieldError.Invalid("metadata.managedFields", segment, "invalid field path element in fieldsV1")]);
            List<string> path = [.. prefix, segment];
            if (child is JsonObject c && c.Count > 0) Read(c, path, into);
            else into.Add(Join(path));
        }
    }

    /// <summary>f:name, or k:/v: followed by JSON (an object for k:), as structured-merge-diff writes them.</summary>
    private static bool IsValidSegment(string segment)
    {
        if (segment.StartsWith("f:", StringComparison.Ordinal)) return true;
        if (!segment.StartsWith("k:", StringComparison.Ordinal) && !segment.StartsWith("v:", StringComparison.Ordinal)) return false;
        var value = ClusterRegistry.Application.Serialization.JsonNodes.TryParse(segment[2..]);
        return segment[0] == 'v' ? value is not null || segment[2..] == "null" : value is JsonObject;
    }

    /// <summary>A path as kube-apiserver prints it in conflicts: <c>.spec.list[key="v"].field</c>.</summary>
    public static string Render(string path)
    {
        var sb = new StringBuilder();
        foreach (var segment in Segments(path))
        {
            if (segment.StartsWith("f:", StringComparison.Ordinal)) sb.Append('.').Append(segment[2..]);
            else if (segment.StartsWith("k:", StringComparison.Ordinal))
            {
                var key = JsonNode.Parse(segment[2..]) as JsonObject;
                sb.Append('[').Append(string.Join(",", key?.Select(kv => $"{kv.Key}={kv.Value?.ToJsonString() ?? "null"}") ?? [])).Append(']');
            }
            else if (segment.StartsWith("v:", StringComparison.Ordinal)) sb.Append("[=").Append(segment[2..]).Append(']');
        }
        return sb.ToString();
    }
}
