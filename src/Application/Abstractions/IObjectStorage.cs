namespace ClusterRegistry.Application.Abstractions;

/// <summary>One stored object: its key, its serialized bytes (without resourceVersion) and its modification revision.</summary>
public sealed record StoredObject(string Key, ReadOnlyMemory<byte> Value, long Revision)
{
    private object? _decoded;

    /// <summary>
    /// The readers' decoded form of this version (for clusters: the object and its wire JSON), made by the first
    /// reader that needs it. A store hands out a new instance per read, so it lives as long as that read; the watch
    /// cache hands the same instance to every reader of a version, so each version is decoded and encoded once.
    /// Racing readers may both decode; they make equal values and either may stay. Not part of equality.
    /// </summary>
    public T Decoded<T>(Func<StoredObject, T> decode) where T : class
    {
        if (Volatile.Read(ref _decoded) is T done) return done;
        var made = decode(this);
        Volatile.Write(ref _decoded, made);
        return made;
    }

    public bool Equals(StoredObject? other) =>
        other is not null && Key == other.Key && Value.Equals(other.Value) && Revision == other.Revision;

    public override int GetHashCode() => HashCode.Combine(Key, Value, Revision);
}

/// <summary>What a watch reports for one write.</summary>
public enum StorageEventType
{
    Added,
    Modified,
    Deleted,

    /// <summary>
    /// Only from <see cref="IObjectStorage.WatchWithProgressAsync"/>: every write under the prefix up to
    /// <see cref="StorageEvent.Revision"/> has been delivered (a write elsewhere moved the store's revision). No key, no values.
    /// </summary>
    Progress,
}

/// <summary>
/// One committed write under a watched prefix. <see cref="Value"/> is the new state (null for a delete);
/// <see cref="PrevValue"/> the state before it (null for a create), so deletes can report the last state.
/// </summary>
public sealed record StorageEvent(StorageEventType Type, string Key, ReadOnlyMemory<byte>? Value, ReadOnlyMemory<byte>? PrevValue, long Revision)
{
    /// <summary>
    /// The object the event reports as one shared <see cref="StoredObject"/> — the new state, or for a delete the last
    /// state at the delete's revision — when the producer keeps one (the watch cache), so every watcher shares its
    /// decoded form; null from a store, whose readers make their own.
    /// </summary>
    public StoredObject? Object { get; init; }

    /// <summary>
    /// The state before the write as one shared <see cref="StoredObject"/> at the event's revision (what a selector
    /// watch reports when the object leaves its selection), when the producer keeps one (the watch cache): thousands of
    /// selector watchers of one update then decode it once, not once each. Null from a store.
    /// </summary>
    public StoredObject? PrevObject { get; init; }

    /// <summary><see cref="PrevObject"/>, or a fresh one made from <see cref="PrevValue"/>; null for a create.</summary>
    public StoredObject? Previous() =>
        PrevObject ?? (PrevValue is { } prev ? new StoredObject(Key, prev, Revision) : null);

    /// <summary><see cref="Object"/>, or a fresh one made from the event's bytes.</summary>
    public StoredObject? Reported() =>
        Object ?? (Type == StorageEventType.Deleted
            ? PrevValue is { } prev ? new StoredObject(Key, prev, Revision) : null
            : Value is { } value ? new StoredObject(Key, value, Revision) : null);
}

/// <summary>
/// Which part of a prefix to read. <see cref="Revision"/> 0 reads the latest state; any other value reads the
/// state as of that revision (throws <see cref="StorageErrorCode.Expired"/> when it has been compacted away).
/// Keys strictly after <see cref="StartAfterKey"/> are read in key order; <see cref="Limit"/> 0 means all;
/// <see cref="Filter"/> drops items before the limit counts them. <see cref="Labels"/> is the label selector behind the
/// filter, a hint a backend may use to narrow the candidates in its own query (an index); the filter stays authoritative.
/// <see cref="NotOlderThan"/> (with <see cref="Revision"/> 0) relaxes "latest": any state at least as new as that
/// revision will do (0: any state), which a cache answers from memory without asking the store; null is a consistent
/// read of the latest state. A store without a cache reads the latest state either way.
/// </summary>
public sealed record ListRange(long Revision = 0, string? StartAfterKey = null, int Limit = 0, Func<StoredObject, bool>? Filter = null,
    Domain.Selection.LabelSelector? Labels = null, long? NotOlderThan = null);

/// <summary>A page of a list: its items, the revision it was read at, and whether keys remain after the last item.</summary>
public sealed record StoredPage(IReadOnlyList<StoredObject> Items, long Revision, bool HasMore, long? RemainingCount);

/// <summary>
/// The storage port, shaped like k8s.io/apiserver's storage.Interface: keys to bytes with a global, monotonic
/// revision shared by all keys. Every write is atomic; updates and deletes are compare-and-swap on the key's
/// modification revision. Reads are consistent: a write acknowledged by any caller is visible to the next read.
/// Failures are <see cref="StorageException"/> with a closed set of codes.
/// </summary>
public interface IObjectStorage
{
    /// <summary>A short name for health checks, e.g. <c>etcd</c>, <c>postgres</c>, <c>embedded</c>.</summary>
    string Name { get; }

    /// <summary>The latest state of <paramref name="key"/>, or null when it does not exist.</summary>
    ValueTask<StoredObject?> GetAsync(string key, CancellationToken ct);

    /// <summary>
    /// A recent state of <paramref name="key"/>: the key as the store stood at some revision at least
    /// <paramref name="minRevision"/> (0: any revision), or null when it did not exist then. The state may be older than
    /// the latest, so it suits a start that a compare-and-swap then checks (an update's first read), never an answer
    /// about the latest state. A cache answers it from memory once it has applied <paramref name="minRevision"/>,
    /// without asking the store for its revision (as <see cref="ListRange.NotOlderThan"/>); a store without a cache
    /// answers with <see cref="GetAsync(string, CancellationToken)"/>.
    /// </summary>
    ValueTask<StoredObject?> GetAsync(string key, long minRevision, CancellationToken ct);

    /// <summary>Reads keys under <paramref name="prefix"/> at one revision (see <see cref="ListRange"/>).</summary>
    ValueTask<StoredPage> ListAsync(string prefix, ListRange range, CancellationToken ct);

    /// <summary>Creates <paramref name="key"/>; throws <see cref="StorageErrorCode.KeyExists"/> when it exists. Returns the new revision.</summary>
    /// <remarks>
    /// The caller guarantees that <paramref name="value"/> is unique: no other create, of this key or any, by this
    /// process or any other, puts the same bytes (a new object carries a fresh <c>metadata.uid</c>). A store may rely
    /// on it to learn whether a create whose answer was lost was applied (etcd, EtcdStorage.WriteOutcome.cs: a creation
    /// of the key with exactly these bytes is this create's); two creates with equal bytes could each be reported as
    /// applied when only one was.
    /// </remarks>
    ValueTask<long> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken ct);

    /// <summary>
    /// Replaces <paramref name="key"/> only if its modification revision is still <paramref name="expectedRevision"/>;
    /// throws <see cref="StorageErrorCode.Conflict"/> otherwise and <see cref="StorageErrorCode.KeyNotFound"/>
    /// when the key is gone. Returns the new revision.
    /// </summary>
    ValueTask<long> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedRevision, CancellationToken ct);

    /// <summary>Deletes <paramref name="key"/> only if its modification revision is still <paramref name="expectedRevision"/>; same errors as update. Returns the revision of the delete.</summary>
    ValueTask<long> DeleteAsync(string key, long expectedRevision, CancellationToken ct);

    /// <summary>
    /// Every write under <paramref name="prefix"/> with a revision greater than <paramref name="afterRevision"/>,
    /// in revision order, without gaps, until <paramref name="ct"/> is cancelled. Throws
    /// <see cref="StorageErrorCode.Expired"/> (before or during the stream) when events after that revision are
    /// no longer available; the stream may also end early (e.g. a slow consumer), and the caller re-watches.
    /// </summary>
    IAsyncEnumerable<StorageEvent> WatchAsync(string prefix, long afterRevision, CancellationToken ct);

    /// <summary>
    /// <see cref="WatchAsync"/>, plus <see cref="StorageEventType.Progress"/> events for revisions spent by writes outside
    /// <paramref name="prefix"/>, so the consumer (a watch cache) knows it has seen everything up to the store's
    /// <see cref="CurrentRevisionAsync"/> even when the last writes were elsewhere. Its events may come without
    /// <see cref="StorageEvent.PrevValue"/>: the consumer keeps every object's latest state, so a store need not look
    /// the previous one up (etcd would read it from its backend and send it beside each event).
    /// </summary>
    IAsyncEnumerable<StorageEvent> WatchWithProgressAsync(string prefix, long afterRevision, CancellationToken ct);

    /// <summary>The latest committed revision.</summary>
    ValueTask<long> CurrentRevisionAsync(CancellationToken ct);

    /// <summary>
    /// True when <see cref="CurrentRevisionAsync"/> answers from this process's memory, synchronously and at no cost,
    /// and is still linearizable (the process is the store's only writer, as with the embedded store). A caller may then
    /// ask it per read; false (etcd, PostgreSQL: a call to a shared store) tells a caller that concurrent reads should
    /// share calls. A decorator reports what it forwards to.
    /// </summary>
    bool RevisionInMemory { get; }
}
