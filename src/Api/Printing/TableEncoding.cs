using System.Buffers;
using System.Text.Json;
using ClusterRegistry.Api.Http;
using ClusterRegistry.Application.Clusters;
using ClusterRegistry.Application.Clusters.Queries.ListClusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Printing;

/// <summary>
/// A Table of cluster versions as compact JSON without decoding them (ADR-027): each row's cells are read from the
/// version's stored bytes (<see cref="ClusterRow"/>), and its object is those bytes — the metadata, in a
/// PartialObjectMetadata, or the whole object. The bytes are the ones the serializer writes for
/// <see cref="ClusterPrinter.ToTable"/>; a version without stored bytes to read (or with bytes the reader does not
/// expect) gets its row from the decoded object, written by the serializer.
/// </summary>
public static class TableEncoding
{
    private static readonly byte[] EmptyRows = "[]}"u8.ToArray();
    private static readonly byte[] EmptyMetadata = "{}}"u8.ToArray();

    // A row's PartialObjectMetadata (always meta.k8s.io/v1, as ClusterPrinter.ToTable makes it) around its metadata.
    private static readonly byte[] PartialPrefix = PartialFrame();

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = ApiJson.Options.Encoder, SkipValidation = true };

    /// <summary>Writes the Table of <paramref name="list"/> as compact JSON with its length set.</summary>
    public static async Task WriteAsync(HttpResponse response, ClusterVersionList list, string includeObject, DateTimeOffset now,
        string apiVersion, CancellationToken ct)
    {
        using var body = new PooledBody();
        Write(body, list, includeObject, now, apiVersion);
        await body.WriteToAsync(response, ct);
    }

    /// <summary>Writes the one-row Table of <paramref name="version"/> (a single-object GET) as compact JSON with its length set.</summary>
    public static async Task WriteAsync(HttpResponse response, SharedCluster version, string includeObject, DateTimeOffset now,
        string apiVersion, CancellationToken ct)
    {
        using var body = new PooledBody();
        WriteOne(body, version, includeObject, withColumns: true, now, apiVersion);
        await body.WriteToAsync(response, ct);
    }

    /// <summary>The Table's bytes, as the serializer writes <see cref="ClusterPrinter.ToTable"/> for the decoded versions.</summary>
    public static void Write(IBufferWriter<byte> body, ClusterVersionList list, string includeObject, DateTimeOffset now, string apiVersion)
    {
        var (empty, at) = Frame(list.Metadata, includeObject, withColumns: true, now, apiVersion);
        body.Write(empty.AsSpan(0, at));
        using var json = new Utf8JsonWriter(body, WriterOptions);
        for (var i = 0; i < list.Items.Count; i++)
        {
            if (i > 0) body.Write(","u8);
            WriteRow(body, json, list.Items[i], includeObject, now);
        }
        body.Write(empty.AsSpan(at));
    }

    /// <summary>
    /// The bytes of the one-row Table of <paramref name="version"/> (a single-object GET, a watch event's object), as
    /// the serializer writes <see cref="ClusterPrinter.ToTable"/> of the decoded object with the object's resourceVersion
    /// as the Table's. Returns the row read from the bytes, or null when the row came from the decoded object.
    /// </summary>
    public static ClusterRow? WriteOne(IBufferWriter<byte> body, SharedCluster version, string includeObject, bool withColumns,
        DateTimeOffset now, string apiVersion)
    {
        var (empty, at) = Frame(new ListMeta { ResourceVersion = version.ResourceVersion }, includeObject, withColumns, now, apiVersion);
        body.Write(empty.AsSpan(0, at));
        using var json = new Utf8JsonWriter(body, WriterOptions);
        var row = WriteRow(body, json, version, includeObject, now);
        body.Write(empty.AsSpan(at));
        return row;
    }

    // The serializer's Table without rows, and where its rows go (just after the rows' '[').
    private static (byte[] Empty, int At) Frame(ListMeta meta, string includeObject, bool withColumns, DateTimeOffset now, string apiVersion)
    {
        var empty = ApiJson.Serialize(ClusterPrinter.ToTable([], meta, includeObject, withColumns, now, apiVersion));
        if (!empty.AsSpan().EndsWith(EmptyRows)) throw new InvalidOperationException("Table no longer ends with its rows");
        return (empty, empty.Length - EmptyRows.Length + 1);
    }

    private static ClusterRow? WriteRow(IBufferWriter<byte> body, Utf8JsonWriter json, SharedCluster version, string includeObject, DateTimeOffset now)
    {
        json.Reset(body);
        var unversioned = version.Unversioned;
        var row = unversioned.IsEmpty ? null : ClusterRow.Read(unversioned.Span);
        // The resourceVersion, the one field not in the stored bytes, must fall inside the metadata the row carries.
        if (row is null || version.SpliceAt <= row.MetadataStart || version.SpliceAt >= row.MetadataEnd)
        {
            JsonSerializer.Serialize(json, ClusterPrinter.Row(version.Object, includeObject, now), ApiJson.Options);
            json.Flush();
            return null;
        }
        json.WriteStartObject();
        json.WriteStartArray("cells"u8);
        foreach (var cell in row.Cells(now)) json.WriteStringValue((string)cell!);
        json.WriteEndArray();
        json.Flush();
        switch (includeObject)
        {
            case "None":
                break;
            case "Object":
                body.Write(",\"object\":"u8);
                version.WriteJson(body);
                break;
            default:
                body.Write(",\"object\":"u8);
                body.Write(PartialPrefix);
                version.WriteJsonRange(body, row.MetadataStart, row.MetadataEnd);
                body.Write("}"u8);
                break;
        }
        body.Write("}"u8);
        return row;
    }

    private static byte[] PartialFrame()
    {
        ReadOnlySpan<byte> empty = ApiJson.Serialize(ClusterPrinter.Partial(new Domain.Clusters.Cluster()));
        if (!empty.EndsWith(EmptyMetadata)) throw new InvalidOperationException("PartialObjectMetadata no longer ends with its metadata");
        return empty[..^EmptyMetadata.Length].ToArray();
    }
}
