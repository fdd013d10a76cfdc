using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClusterRegistry.Application.Serialization;

/// <summary>
/// What a JSON node costs to copy: its compact serialized size, with every value counted as at least
/// <see cref="MinValueBytes"/> so that copies of many tiny values (an array of zeros doubled into itself) are
/// bounded by what they cost in memory, not by their two bytes of text.
/// </summary>
public static class JsonSize
{
    public const int MinValueBytes = 16;

    /// <summary>
    /// The size and nesting depth of <paramref name="node"/> (a scalar is depth 0); the walk stops as soon as the size
    /// is known to exceed <paramref name="limit"/>, and then reports a size above it.
    /// </summary>
    public static (long Bytes, int Depth) Measure(JsonNode? node, long limit)
    {
        var total = 0L;
        var depth = 0;
        var pending = new Stack<(JsonNode? Node, int Depth)>();
        pending.Push((node, 0));
        while (pending.Count > 0 && total <= limit)
        {
            // Iterative, because a patch can nest a document deeper than a recursive walk could follow.
            var (current, level) = pending.Pop();
            switch (current)
            {
                case JsonObject o:
                    total += MinValueBytes;
                    depth = Math.Max(depth, level + 1);
                    foreach (var (key, value) in o)
                    {
                        total += key.Length + 3;
                        pending.Push((value, level + 1));
                    }
                    break;
                case JsonArray a:
                    total += MinValueBytes;
                    depth = Math.Max(depth, level + 1);
                    foreach (var item in a) pending.Push((item, level + 1));
                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                    total += Math.Max(MinValueBytes, v.GetValue<string>().Length + 2);
                    break;
                default:
                    total += MinValueBytes;
                    break;
            }
        }
        return (total, depth);
    }
}
