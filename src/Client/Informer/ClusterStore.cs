using ClusterRegistry.Client.Models;

namespace ClusterRegistry.Client.Informer;

/// <summary>
/// The informer's thread-safe local copy of the clusters it watches, keyed by name. Readers get the objects the
/// informer holds: treat them as read-only (copy before changing one to send it back).
/// </summary>
public sealed class ClusterStore
{
    private readonly object _gate = new();
    private Dictionary<string, Cluster> _items = new(StringComparer.Ordinal);

    /// <summary>The number of clusters held.</summary>
    public int Count { get { lock (_gate) return _items.Count; } }

    /// <summary>The cluster of that name, or null.</summary>
    public Cluster? Get(string name)
    {
        lock (_gate) return _items.GetValueOrDefault(name);
    }

    /// <summary>A snapshot of every cluster held, ordered by name.</summary>
    public IReadOnlyList<Cluster> List()
    {
        lock (_gate) return _items.Values.OrderBy(c => c.Metadata.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>A snapshot of the names held.</summary>
    public IReadOnlyList<string> ListNames()
    {
        lock (_gate) return _items.Keys.Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Stores <paramref name="cluster"/> and returns the object it replaced, if any.</summary>
    internal Cluster? Upsert(Cluster cluster)
    {
        lock (_gate)
        {
            _items.TryGetValue(cluster.Metadata.Name, out var old);
            _items[cluster.Metadata.Name] = cluster;
            return old;
        }
    }

    /// <summary>Removes the cluster of that name and returns it, if it was held.</summary>
    internal Cluster? Remove(string name)
    {
        lock (_gate) return _items.Remove(name, out var old) ? old : null;
    }

    /// <summary>Replaces the whole content with a fresh list and returns the previous content.</summary>
    internal Dictionary<string, Cluster> Replace(IEnumerable<Cluster> clusters)
    {
        var fresh = clusters.ToDictionary(c => c.Metadata.Name, StringComparer.Ordinal);
        lock (_gate)
        {
            var old = _items;
            _items = fresh;
            return old;
        }
    }
}
