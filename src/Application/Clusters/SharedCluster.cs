using System.Buffers;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.Clusters.Queries.WatchClusters;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Clusters;

/// <summary>
/// One version of a Cluster as readers share it: its wire JSON (compact, with apiVersion, kind and resourceVersion),
/// written as it is by a GET, joined by a LIST and wrapped by a watch event, so a version served from the watch cache
/// is encoded once for every request and watcher. Read-only: nobody may change what <see cref="Object"/> returns.
/// <para>
/// A version read from storage (<see cref="Of"/>) keeps no second copy of itself (ADR-026): its wire JSON is the
/// stored bytes with the few bytes that differ (the resourceVersion) spliced in as it is written, and of the decoded
/// object only what selectors read (name, labels); <see cref="Object"/> decodes a private copy for the rare readers
/// of the whole object (Tables, YAML, writes). With 10,000 cached objects that is one byte array per object instead
/// of the stored bytes, the JSON and the object graph.
/// </para>
/// </summary>
public sealed class SharedCluster
{
    private readonly Cluster? _object;
    private byte[]? _json;

    // A version from storage: the stored bytes, and the wire JSON as those bytes with _insert put in at _at
    // (_insert null: the wire JSON is _json, kept whole because the stored bytes are not a part of it).
    private readonly ReadOnlyMemory<byte> _stored;
    private readonly long _revision;
    private readonly byte[]? _insert;
    private readonly int _at;

    public SharedCluster(Cluster obj)
    {
        _object = obj;
        Name = obj.Metadata.Name;
        Labels = obj.Metadata.Labels;
    }

    private SharedCluster(StoredObject stored)
    {
        _stored = stored.Value;
        _revision = stored.Revision;
        var decoded = ClusterCodec.Decode(stored);
        (Name, Labels) = (decoded.Metadata.Name, decoded.Metadata.Labels);
        var json = ApiJson.Serialize(decoded);
        if (Splice.Find(_stored.Span, json) is var (at, insert)) (_at, _insert) = (at, insert);
        else _json = json;
    }

    /// <summary>metadata.name, for selectors without decoding the object.</summary>
    public string? Name { get; }

    /// <summary>metadata.labels, for selectors without decoding the object; read-only.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; }

    /// <summary>metadata.resourceVersion as the wire JSON has it, without decoding the object.</summary>
    public string? ResourceVersion => _object is not null ? _object.Metadata.ResourceVersion : Domain.Meta.ResourceVersion.Format(_revision);

    /// <summary>
    /// The object. A version from storage decodes a new copy on every call (the cache keeps only its bytes), so a
    /// caller that needs it more than once keeps the copy it got.
    /// </summary>
    public Cluster Object => _object ?? ClusterCodec.Decode(_stored, _revision);

    /// <summary>The length of <see cref="Json"/>, without assembling it.</summary>
    public int JsonLength => _insert is null ? Json.Length : _stored.Length + _insert.Length;

    /// <summary>
    /// The object's JSON as the API writes it, as one piece; a version from storage assembles it per call, so writers
    /// use <see cref="WriteJson"/>. Racing first readers of a new object encode equal bytes, either copy stays.
    /// </summary>
    public ReadOnlyMemory<byte> Json
    {
        get
        {
            if (_insert is not null)
            {
                var stored = _stored.Span;
                var whole = new byte[stored.Length + _insert.Length];
                stored[.._at].CopyTo(whole);
                _insert.CopyTo(whole.AsSpan(_at));
                stored[_at..].CopyTo(whole.AsSpan(_at + _insert.Length));
                return whole;
            }
            return Volatile.Read(ref _json) ?? (_json = ApiJson.Serialize(_object!));
        }
    }

    /// <summary>Writes <see cref="Json"/> to <paramref name="writer"/> without assembling it first.</summary>
    public void WriteJson(IBufferWriter<byte> writer)
    {
        if (_insert is null)
        {
            writer.Write(Json.Span);
            return;
        }
        var stored = _stored.Span;
        writer.Write(stored[.._at]);
        writer.Write(_insert);
        writer.Write(stored[_at..]);
    }

    /// <summary>
    /// The stored bytes when the wire JSON is them with a few bytes (the resourceVersion) put in at
    /// <see cref="SpliceAt"/>: a reader of other fields parses them in place instead of decoding a copy of the object
    /// (Table rows, ADR-027). Empty when this version keeps no such bytes; read <see cref="Object"/> then.
    /// </summary>
    public ReadOnlyMemory<byte> Unversioned => _insert is null ? default : _stored;

    /// <summary>Where in <see cref="Unversioned"/> the wire JSON has its spliced bytes; -1 when it is empty.</summary>
    public int SpliceAt => _insert is null ? -1 : _at;

    /// <summary>
    /// Writes the wire JSON of the value that spans <see cref="Unversioned"/>[start..end] (e.g. metadata): those bytes,
    /// with the spliced bytes put in when <see cref="SpliceAt"/> lies strictly inside.
    /// </summary>
    public void WriteJsonRange(IBufferWriter<byte> writer, int start, int end)
    {
        if (_insert is null) throw new InvalidOperationException("this version keeps no unversioned bytes");
        var stored = _stored.Span[..end];
        if (start < _at && _at < end)
        {
            writer.Write(stored[start.._at]);
            writer.Write(_insert);
            writer.Write(stored[_at..]);
        }
        else
        {
            writer.Write(stored[start..]);
        }
    }

    // This version's live watch events (ADDED, MODIFIED, DELETED), each made by the first watcher that reports it and
    // shared by the rest: one object per event instead of one per event and watcher (an array, made on first use, so a
    // version nobody watches costs one reference).
    private ClusterWatchEvent?[]? _events;

    /// <summary>The watch event of <paramref name="type"/> (ADDED, MODIFIED or DELETED) with this version, one instance for every watcher.</summary>
    internal ClusterWatchEvent WatchEvent(string type)
    {
        var slot = type switch
        {
            WatchEventType.Added => 0,
            WatchEventType.Modified => 1,
            WatchEventType.Deleted => 2,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not an event with an object"),
        };
        var events = Volatile.Read(ref _events);
        if (events is null)
        {
            Interlocked.CompareExchange(ref _events, new ClusterWatchEvent?[3], null);
            events = _events!;
        }
        // Racing first watchers may each make one; either is the same immutable event, and one stays.
        return Volatile.Read(ref events[slot]) ?? (events[slot] = new ClusterWatchEvent(type, this));
    }

    /// <summary>The shared version of a stored object (decoded once per <see cref="StoredObject"/> instance).</summary>
    public static SharedCluster Of(StoredObject stored) => stored.Decoded(static s => new SharedCluster(s));
}
