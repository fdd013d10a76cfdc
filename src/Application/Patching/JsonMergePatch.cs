using System.Text.Json.Nodes;

namespace ClusterRegistry.Application.Patching;

/// <summary>RFC 7386 JSON merge patch: objects merge recursively, null deletes, everything else replaces.</summary>
public static class JsonMergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target as JsonObject is { } t ? t.DeepClone().AsObject() : new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (value is null) result.Remove(name);
            else result[name] = Apply(result[name], value);
        }
        return result;
    }

    /// <summary>
    /// <see cref="Apply"/> for a <paramref name="target"/> the caller owns and gives up: the patch is merged into it
    /// in place instead of into a deep copy of every level it touches. The patch itself is left as it was.
    /// </summary>
    public static JsonNode? ApplyToOwned(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target as JsonObject ?? new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
                continue;
            }
            var child = result[name];
            var merged = ApplyToOwned(child, value);
            // A child merged in place is already there (setting a node where it is would fail: it has a parent).
            if (!ReferenceEquals(merged, child)) result[name] = merged;
        }
        return result;
    }
}
