namespace ClusterRegistry.Infrastructure.Storage.Relational;

/// <summary>The latest state of one key.</summary>
public sealed class ObjectRow
{
    public string Key { get; set; } = "";
    public byte[] Value { get; set; } = [];
    public long CreateRevision { get; set; }
    public long ModRevision { get; set; }
    /// <summary>metadata.labels of the value as a JSON object (null without labels), for label selectors in SQL.</summary>
    public string? Labels { get; set; }
}

/// <summary>One committed write; the history watches replay and snapshot reads undo.</summary>
public sealed class EventRow
{
    public long Revision { get; set; }
    public string Key { get; set; } = "";
    /// <summary>0 added, 1 modified, 2 deleted (StorageEventType).</summary>
    public int Type { get; set; }
    public byte[]? Value { get; set; }
    public byte[]? PrevValue { get; set; }
    /// <summary>The modification revision of <see cref="PrevValue"/> (0 when there was none): its resourceVersion in old-revision lists.</summary>
    public long PrevRevision { get; set; }
}

/// <summary>The single row holding the store's revision counters.</summary>
public sealed class StoreStateRow
{
    public int Id { get; set; } = 1;
    public long CurrentRevision { get; set; }
    /// <summary>Events at or below this revision have been pruned; reads and watches from before it are Expired.</summary>
    public long CompactedRevision { get; set; }
}

/// <summary>A named lease (<see cref="RelationalLeaseStore"/>): who holds it and until when, in the database's clock.</summary>
public sealed class LeaseRow
{
    public string Name { get; set; } = "";
    public string Holder { get; set; } = "";
    /// <summary>Expiry in Unix milliseconds.</summary>
    public long ExpiresAtMs { get; set; }
}
