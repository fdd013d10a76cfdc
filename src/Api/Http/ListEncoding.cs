using System.Buffers;
using ClusterRegistry.Application.Clusters.Queries.ListClusters;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Http;

/// <summary>
/// A ClusterList as JSON without encoding its items again: the serializer writes the list around no items, and the
/// items' encoded bytes go between its brackets, comma-separated — the bytes the serializer would write for the whole
/// list, at the cost of a copy.
/// </summary>
public static class ListEncoding
{
    private static readonly byte[] EmptyItems = "[]}"u8.ToArray();

    /// <summary>Writes <paramref name="list"/> with its length set, so large lists can be compressed (see <see cref="LargeResponseCompression"/>).</summary>
    public static async Task WriteAsync(HttpResponse response, ClusterVersionList list, CancellationToken ct)
    {
        var (prefix, suffix) = Frame(list.Metadata);
        long length = prefix.Length + suffix.Length + Math.Max(0, list.Items.Count - 1);
        foreach (var item in list.Items) length += item.JsonLength;
        response.ContentLength = length;

        var body = new CoalescingBufferWriter(response.BodyWriter);
        body.Write(prefix.Span);
        var unflushed = 0;
        for (var i = 0; i < list.Items.Count; i++)
        {
            if (i > 0) body.Write(","u8);
            var item = list.Items[i];
            item.WriteJson(body);
            // Hand full buffers to the transport as they fill instead of holding the whole list.
            if ((unflushed += item.JsonLength) < 64 * 1024) continue;
            body.Commit();
            await response.BodyWriter.FlushAsync(ct);
            unflushed = 0;
        }
        body.Write(suffix.Span);
        body.Commit();
        await response.BodyWriter.FlushAsync(ct);
    }

    /// <summary>The serializer's bytes for the list with no items, split where the items go.</summary>
    public static (ReadOnlyMemory<byte> Prefix, ReadOnlyMemory<byte> Suffix) Frame(ListMeta metadata)
    {
        ReadOnlyMemory<byte> empty = ApiJson.Serialize(new ClusterList { Metadata = metadata });
        if (!empty.Span.EndsWith(EmptyItems)) throw new InvalidOperationException("ClusterList no longer ends with its items");
        var at = empty.Length - EmptyItems.Length + 1;
        return (empty[..at], empty[at..]);
    }
}
