using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Clusters;

/// <summary>Stored bytes to and from Cluster. The resourceVersion is never stored: it is the revision, set on read.</summary>
public static class ClusterCodec
{
    /// <summary>
    /// The largest stored object, the same on every backend: etcd refuses requests above 1.5 MiB (1,572,864 bytes) by
    /// default, and this leaves room for the key and the transaction around the value.
    /// </summary>
    public const int MaxObjectBytes = 1_500_000;

    /// <summary>Encodes an object about to be written, refusing with 413 one larger than <see cref="MaxObjectBytes"/>.</summary>
    public static byte[] EncodeForWrite(Cluster cluster)
    {
        var bytes = Encode(cluster);
        if (bytes.Length > MaxObjectBytes) throw TooLarge(bytes.Length);
        return bytes;
    }

    public static ApiStatusException TooLarge(int size) =>
        ApiErrors.RequestEntityTooLarge($"limit is {MaxObjectBytes} bytes for a stored object, this one would be {size}");

    public static byte[] Encode(Cluster cluster)
    {
        var rv = cluster.Metadata.ResourceVersion;
        cluster.Metadata.ResourceVersion = null;
        try
        {
            return ApiJson.Serialize(cluster);
        }
        finally
        {
            cluster.Metadata.ResourceVersion = rv;
        }
    }

    public static Cluster Decode(ReadOnlyMemory<byte> value, long revision)
    {
        var cluster = ApiJson.Deserialize<Cluster>(value.Span);
        cluster.ApiVersion = ClusterResource.Info.ApiVersion;
        cluster.Kind = ClusterResource.Info.Kind;
        cluster.Metadata.ResourceVersion = ResourceVersion.Format(revision);
        return cluster;
    }

    public static Cluster Decode(StoredObject stored) => Decode(stored.Value, stored.Revision);
}
