using System.Text.Json.Nodes;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Patching;

/// <summary>
/// Kubernetes strategic merge patch for the served types: structs and maps merge, keyed lists merge item by item,
/// set lists merge as sets, other lists are replaced; with the <c>$patch</c> (replace, delete, merge),
/// <c>$retainKeys</c>, <c>$setElementOrder/field</c> and <c>$deleteFromPrimitiveList/field</c> directives.
/// </summary>
public static class StrategicMergePatch
{
    private const string PatchDirective = "$patch";
    private const string RetainKeys = "$retainKeys";
    private const string SetElementOrder = "$setElementOrder/";
    private const string DeleteFromPrimitiveList = "$deleteFromPrimitiveList/";

    public static JsonNode? Apply(JsonNode? original, JsonNode? patch, TypeShape shape)
    {
        if (patch is not JsonObject p || shape.Kind is not (ShapeKind.Struct or ShapeKind.Map))
            return Clean(patch?.DeepClone());

        switch (Directive(p))
        {
            case "replace":
                var replaced = (JsonObject)p.DeepClone();
                replaced.Remove(PatchDirective);
                return Clean(replaced);
            case "delete":
                return null;
            case null or "merge":
                break;
            default:
                throw ApiErrors.BadRequest($"Unknown patch type: {p[PatchDirective]}");
        }

        var result = original as JsonObject is { } o ? (JsonObject)o.DeepClone() : new JsonObject();
        if (p[RetainKeys] is JsonArray retain)
        {
            var keep = retain.Select(k => k is JsonValue v && v.TryGetValue<string>(out var name) ? name
                : throw ApiErrors.BadRequest("$retainKeys must be a list of strings")).ToHashSet();
            foreach (var name in result.Select(kv => kv.Key).Where(k => !keep.Contains(k)).ToList()) result.Remove(name);
        }

        foreach (var (name, value) in p)
        {
            if (name is PatchDirective or RetainKeys || name.StartsWith(SetElementOrder, StringComparison.Ordinal)
                || name.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal))
                continue;
            if (value is null)
            {
                result.Remove(name);
                continue;
            }
            var child = shape.Child(name);
            var merged = child switch
            {
                null => Clean(value.DeepClone()),
                { Kind: ShapeKind.MapList } => MergeMapList(result[name] as JsonArray, value, child),
                { Kind: ShapeKind.SetList } => MergeSet(result[name] as JsonArray, value),
                _ => Apply(result[name], value, child),
            };
            if (merged is null) result.Remove(name);
            else result[name] = merged;
        }

        foreach (var (name, value) in p)
        {
            if (name.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal) && value is JsonArray remove
                && result[name[DeleteFromPrimitiveList.Length..]] is JsonArray list)
            {
                foreach (var r in remove)
                    for (var i = list.Count - 1; i >= 0; i--)
                        if (JsonNode.DeepEquals(list[i], r)) list.RemoveAt(i);
            }
        }
        foreach (var (name, value) in p)
        {
            if (name.StartsWith(SetElementOrder, StringComparison.Ordinal) && value is JsonArray order
                && result[name[SetElementOrder.Length..]] is JsonArray list && shape.Child(name[SetElementOrder.Length..]) is { } listShape)
                result[name[SetElementOrder.Length..]] = Reorder(list, order, listShape);
        }
        return result;
    }

    private static JsonArray? MergeMapList(JsonArray? original, JsonNode patch, TypeShape shape)
    {
        if (patch is not JsonArray items) throw ApiErrors.BadRequest($"expected a list for a list of {shape.Item.Type.Name}");
        if (items.Any(i => i is JsonObject io && Directive(io) == "replace"))
            return new JsonArray(items.Where(i => !(i is JsonObject io && io.ContainsKey(PatchDirective))).Select(i => Clean(i?.DeepClone())).ToArray());
        var result = original is null ? new JsonArray() : (JsonArray)original.DeepClone();
        foreach (var item in items)
        {
            if (item is not JsonObject io) throw ApiErrors.BadRequest("expected an object in a list merged by key");
            var key = shape.KeyOf(io);
            var index = shape.IndexOf(result, key);
            if (Directive(io) == "delete")
            {
                if (index >= 0) result.RemoveAt(index);
                continue;
            }
            if (index >= 0) result[index] = Apply(result[index], io, shape.Item);
            else result.Add(Clean(io.DeepClone()));
        }
        return result;
    }

    private static JsonArray MergeSet(JsonArray? original, JsonNode patch)
    {
        if (patch is not JsonArray items) throw ApiErrors.BadRequest("expected a list for a set");
        var result = original is null ? new JsonArray() : (JsonArray)original.DeepClone();
        foreach (var v in items)
            if (!result.Any(r => JsonNode.DeepEquals(r, v))) result.Add(v?.DeepClone());
        return result;
    }

    private static JsonArray Reorder(JsonArray list, JsonArray order, TypeShape shape)
    {
        var remaining = list.Select(i => i?.DeepClone()).ToList();
        var ordered = new JsonArray();
        foreach (var o in order)
        {
            var match = remaining.FindIndex(i => shape.Kind == ShapeKind.MapList
                ? JsonNode.DeepEquals(shape.KeyOf(i), shape.KeyOf(o))
                : JsonNode.DeepEquals(i, o));
            if (match < 0) continue;
            ordered.Add(remaining[match]);
            remaining.RemoveAt(match);
        }
        foreach (var r in remaining) ordered.Add(r);
        return ordered;
    }

    /// <summary>The <c>$patch</c> directive of an object, or null; anything but a string is a 400.</summary>
    private static string? Directive(JsonObject o) => o[PatchDirective] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        var other => throw ApiErrors.BadRequest($"invalid value for {PatchDirective}: {other.ToJsonString()}: must be a string"),
    };

    /// <summary>Directives never reach stored objects.</summary>
    private static JsonNode? Clean(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var k in o.Select(kv => kv.Key).Where(k => k.StartsWith('$')).ToList()) o.Remove(k);
                foreach (var (_, v) in o) Clean(v);
                break;
            case JsonArray a:
                foreach (var v in a) Clean(v);
                break;
        }
        return node;
    }
}
