using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using ClusterRegistry.Application.Clusters;
using ClusterRegistry.Application.Clusters.Queries.WatchClusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Http;

/// <summary>
/// Watch event lines: compact JSON and a newline. An event of a plain JSON watch wraps the version's encoded bytes
/// (shared by every watcher, see <see cref="SharedCluster"/>) between a frame per event type, so fan-out to N
/// watchers encodes each version once; transformed payloads (Table, PartialObjectMetadata) and errors are encoded per event.
/// </summary>
public static class WatchEventEncoding
{
    private static readonly byte[] Suffix = "}\n"u8.ToArray();
    private static readonly Dictionary<string, byte[]> Prefixes = new[]
    {
        WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted, WatchEventType.Bookmark, WatchEventType.Error,
    }.ToDictionary(t => t, Prefix);

    /// <summary>Writes one event whose object is <paramref name="version"/> as it is.</summary>
    public static void Write(PipeWriter body, string type, SharedCluster version)
    {
        body.Write(Prefixes.TryGetValue(type, out var prefix) ? prefix : Prefix(type));
        version.WriteJson(body);
        body.Write(Suffix);
    }

    /// <summary>What comes before an event's object: <c>{"type":"…","object":</c>.</summary>
    public static void WritePrefix(IBufferWriter<byte> body, string type) =>
        body.Write(Prefixes.TryGetValue(type, out var prefix) ? prefix : Prefix(type));

    /// <summary>What comes after an event's object: <c>}</c> and the newline.</summary>
    public static void WriteSuffix(IBufferWriter<byte> body) => body.Write(Suffix);

    /// <summary>One event line for any payload, encoded now.</summary>
    public static byte[] Line(string type, object payload)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = ApiJson.Options.Encoder }))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WritePropertyName("object");
            JsonSerializer.Serialize(writer, payload, payload.GetType(), ApiJson.Options);
            writer.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    // What the writer above puts before the object: {"type":"ADDED","object":
    private static byte[] Prefix(string type) => Encoding.UTF8.GetBytes("{\"type\":" + JsonSerializer.Serialize(type, ApiJson.Options) + ",\"object\":");
}
