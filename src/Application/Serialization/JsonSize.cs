using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClusterRegistry.Application.Serialization;

/// <summary>The compact serialized size of a JSON node, measured without keeping the bytes.</summary>
public static class JsonSize
{
    public static long Of(JsonNode? node)
    {
        if (node is null) return 4; // null
        var counter = new CountingWriter();
        using (var writer = new Utf8JsonWriter(counter)) node.WriteTo(writer);
        return counter.Count;
    }

    /// <summary>Counts what is written into one reused scratch buffer.</summary>
    private sealed class CountingWriter : IBufferWriter<byte>
    {
        private byte[] _scratch = new byte[4096];

        public long Count { get; private set; }

        public void Advance(int count) => Count += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => Scratch(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Scratch(sizeHint).Span;

        private Memory<byte> Scratch(int sizeHint)
        {
            if (sizeHint > _scratch.Length) _scratch = new byte[sizeHint];
            return _scratch;
        }
    }
}
