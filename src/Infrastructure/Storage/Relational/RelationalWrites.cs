using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Infrastructure.Storage.Relational;

/// <summary>The write rules every relational backend shares; each backend's group committer runs them inside its serialized transaction.</summary>
public static class RelationalWrites
{
    /// <summary>
    /// A write's precondition against the key's mod revision (<paramref name="current"/>, null when the key does not
    /// exist): <paramref name="expected"/> null is a create. Throws KeyExists, KeyNotFound or Conflict.
    /// </summary>
    public static void Check(string key, long? expected, long? current)
    {
        if (expected is null && current is not null) throw new StorageException(StorageErrorCode.KeyExists, key, "key exists");
        if (expected is not null && current is null) throw new StorageException(StorageErrorCode.KeyNotFound, key, "key not found");
        if (expected is not null && current != expected) throw new StorageException(StorageErrorCode.Conflict, key, "revision mismatch");
    }

    /// <summary><c>metadata.labels</c> of a stored object (every API object has them in the same place), or null.</summary>
    public static string? LabelsOf(byte[] value)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(value);
            // Storage holds opaque bytes: anything that is not an object with metadata simply has no labels.
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                   && doc.RootElement.TryGetProperty("metadata", out var m) && m.ValueKind == System.Text.Json.JsonValueKind.Object
                   && m.TryGetProperty("labels", out var l) && l.ValueKind == System.Text.Json.JsonValueKind.Object
                ? l.GetRawText()
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
