using System.Collections.Immutable;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Infrastructure.Storage.Caching;

/// <summary>
/// The cached objects as of <see cref="Revision"/>: an immutable set ordered by key, so a reader holds one consistent
/// state for as long as it needs (a page, a whole list) while the upstream moves on, and states share structure.
/// </summary>
internal sealed record CacheState(ImmutableSortedSet<StoredObject> Objects, long Revision)
{
    public static readonly IComparer<StoredObject> ByKey = Comparer<StoredObject>.Create((a, b) => string.CompareOrdinal(a.Key, b.Key));

    public static CacheState Empty(long revision) => new(ImmutableSortedSet.Create(ByKey), revision);

    public static StoredObject Probe(string key) => new(key, ReadOnlyMemory<byte>.Empty, 0);

    public StoredObject? Find(string key) => Objects.TryGetValue(Probe(key), out var found) ? found : null;

    /// <summary>Filter and limit applied to keys in order, with the same more/remaining answers as the stores.</summary>
    public static StoredPage Page(ImmutableSortedSet<StoredObject> objects, ListRange range, long revision)
    {
        var start = 0;
        if (!string.IsNullOrEmpty(range.StartAfterKey))
        {
            var at = objects.IndexOf(Probe(range.StartAfterKey));
            start = at >= 0 ? at + 1 : ~at;
        }
        var items = new List<StoredObject>(range.Limit > 0 ? Math.Min(range.Limit, objects.Count - start) : objects.Count - start);
        var i = start;
        if (start == 0 && range.Limit == 0)
        {
            // A whole list: the set's enumerator walks the tree once instead of a lookup per index.
            foreach (var o in objects)
                if (range.Filter is null || range.Filter(o)) items.Add(o);
            i = objects.Count;
        }
        else
        {
            for (; i < objects.Count; i++)
            {
                if (range.Limit > 0 && items.Count == range.Limit) break;
                var o = objects[i];
                if (range.Filter is null || range.Filter(o)) items.Add(o);
            }
        }
        var hasMore = i < objects.Count;
        return new StoredPage(items, revision, hasMore, hasMore && range.Filter is null ? objects.Count - i : null);
    }
}
