using System.Text.Json.Nodes;
using ClusterRegistry.Application.Patching;

namespace ClusterRegistry.Application.FieldManagement;

/// <summary>Reads and removes the value at a <see cref="FieldSet"/> path in a JSON document.</summary>
public static class FieldNavigator
{
    /// <summary>The value at <paramref name="path"/>, or false when absent.</summary>
    public static bool TryGet(JsonNode? root, TypeShape shape, string path, out JsonNode? value)
    {
        value = root;
        TypeShape? current = shape;
        foreach (var segment in FieldSet.Segments(path))
        {
            if (!Step(value, current, segment, out value, out current, out _)) return false;
        }
        return true;
    }

    /// <summary>Removes the value at <paramref name="path"/> if present.</summary>
    public static void Remove(JsonNode? root, TypeShape shape, string path)
    {
        var segments = FieldSet.Segments(path);
        JsonNode? node = root;
        TypeShape? current = shape;
        foreach (var segment in segments[..^1])
            if (!Step(node, current, segment, out node, out current, out _)) return;
        var last = segments[^1];
        if (!Step(node, current, last, out _, out _, out var index)) return;
        switch (node)
        {
            case JsonObject o: o.Remove(last[2..]); break;
            case JsonArray a when index >= 0: a.RemoveAt(index); break;
        }
    }

    private static bool Step(JsonNode? node, TypeShape? shape, string segment, out JsonNode? next, out TypeShape? nextShape, out int index)
    {
        next = null;
        nextShape = null;
        index = -1;
        if (segment.StartsWith("f:", StringComparison.Ordinal) && node is JsonObject o)
        {
            var name = segment[2..];
            nextShape = shape?.Child(name);
            return o.TryGetPropertyValue(name, out next);
        }
        if (segment.StartsWith("k:", StringComparison.Ordinal) && node is JsonArray list && shape is { Kind: ShapeKind.MapList })
        {
            var key = JsonNode.Parse(segment[2..]) as JsonObject ?? new JsonObject();
            index = shape.IndexOf(list, key);
            if (index < 0) return false;
            next = list[index];
            nextShape = shape.Item;
            return true;
        }
        if (segment.StartsWith("v:", StringComparison.Ordinal) && node is JsonArray set)
        {
            var value = JsonNode.Parse(segment[2..]);
            for (var i = 0; i < set.Count; i++)
            {
                if (!JsonNode.DeepEquals(set[i], value)) continue;
                index = i;
                next = set[i];
                return true;
            }
        }
        return false;
    }
}
