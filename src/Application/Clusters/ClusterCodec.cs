using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Clusters;

/// <summary>Stored bytes to and from Cluster. The resourceVersion is never stored: it is the revision, set on read.</summary>
public static class ClusterCodec
{
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
