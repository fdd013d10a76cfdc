using System.Runtime.CompilerServices;
using System.Text.Json;
using ClusterRegistry.Application.Clusters.Queries.WatchClusters;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Http;

/// <summary>
/// Watch event lines (compact JSON and a newline) encoded once per object version and event type, for every watcher
/// that sends the object unchanged: the decoded object is shared by all watchers, so its line is too, and fan-out
/// to N watchers costs one serialization instead of N.
/// </summary>
public static class WatchEventEncoding
{
    private static readonly ConditionalWeakTable<Cluster, byte[]?[]> Lines = new();

    public static byte[] Line(string type, object payload)
    {
        if (payload is not Cluster cluster) return Encode(type, payload);
        var slot = type switch
        {
            WatchEventType.Added => 0,
            WatchEventType.Modified => 1,
            WatchEventType.Deleted => 2,
            _ => -1,
        };
        if (slot < 0) return Encode(type, payload);
        var lines = Lines.GetValue(cluster, static _ => new byte[3][]);
        // Racing watchers may both encode; they produce the same bytes, so either copy may stay.
        var line = Volatile.Read(ref lines[slot]);
        if (line is null)
        {
            line = Encode(type, payload);
            Volatile.Write(ref lines[slot], line);
        }
        return line;
    }

    private static byte[] Encode(string type, object payload)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = ApiJson.Options.Encoder }))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WritePropertyName("object");
            JsonSerializer.Serialize(writer, payload, payload.GetType(), ApiJson.Options);
            writer.WriteEndObject();
        }
        System.Buffers.BuffersExtensions.Write(buffer, "\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
