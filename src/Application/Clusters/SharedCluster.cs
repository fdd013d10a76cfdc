using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Clusters;

/// <summary>
/// One version of a Cluster as readers share it: the decoded object and its wire JSON (compact, with apiVersion,
/// kind and resourceVersion), encoded on first use. A GET writes <see cref="Json"/> as it is, a LIST joins the items'
/// bytes and a watch event wraps them, so a version served from the watch cache is encoded once for every request
/// and watcher. Both are read-only: nobody may change <see cref="Object"/> once it is shared.
/// </summary>
public sealed class SharedCluster(Cluster obj)
{
    private byte[]? _json;

    public Cluster Object { get; } = obj;

    /// <summary>The object's JSON as the API writes it; racing first readers encode equal bytes, either copy stays.</summary>
    public ReadOnlyMemory<byte> Json => Volatile.Read(ref _json) ?? (_json = ApiJson.Serialize(Object));

    /// <summary>The shared version of a stored object (decoded once per <see cref="StoredObject"/> instance).</summary>
    public static SharedCluster Of(StoredObject stored) => stored.Decoded(static s => new SharedCluster(ClusterCodec.Decode(s)));
}
