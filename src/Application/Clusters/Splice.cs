namespace ClusterRegistry.Application.Clusters;

/// <summary>
/// How the wire JSON of a stored version differs from its stored bytes, when it is only by a few inserted bytes (the
/// resourceVersion, which is never stored): the reader writes the stored bytes with those bytes put in, instead of
/// keeping a second copy (see <see cref="SharedCluster"/>). Found by comparison, not assumed, so bytes stored by an
/// older encoder (another field order, no apiVersion) are still written exactly as the serializer writes them.
/// </summary>
internal static class Splice
{
    /// <summary>Longer differences are kept whole: a resourceVersion is at most <c>"resourceVersion":"</c> + 20 digits + <c>",</c>.</summary>
    private const int MaxInsert = 64;

    /// <summary>(at, insert) with <paramref name="wire"/> = stored[..at] + insert + stored[at..]; null when there is none.</summary>
    public static (int At, byte[] Insert)? Find(ReadOnlySpan<byte> stored, ReadOnlySpan<byte> wire)
    {
        var extra = wire.Length - stored.Length;
        if (extra <= 0 || extra > MaxInsert) return null;
        var at = stored.CommonPrefixLength(wire);
        if (!wire[(at + extra)..].SequenceEqual(stored[at..])) return null;
        return (at, wire.Slice(at, extra).ToArray());
    }
}
