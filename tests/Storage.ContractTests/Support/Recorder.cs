using System.Text;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Tests.StorageContractTests.Support;

/// <summary>A storage event with text values, comparable by value (so lists of them compare element-wise).</summary>
public sealed record Ev(StorageEventType Type, string Key, string? Value, string? PrevValue, long Revision)
{
    public static Ev From(StorageEvent e) => new(e.Type, e.Key, Text.Of(e.Value), Text.Of(e.PrevValue), e.Revision);

    public override string ToString() => $"{Revision} {Type} {Key} value={Value ?? "<none>"} prev={PrevValue ?? "<none>"}";
}

public static class Text
{
    public static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    public static string Of(ReadOnlyMemory<byte> m) => Encoding.UTF8.GetString(m.Span);

    public static string? Of(ReadOnlyMemory<byte>? m) => m is { } v ? Of(v) : null;
}

/// <summary>
/// Writes through the storage port and records, for each successful write, the event a watch must report for it.
/// Not thread-safe: one writer at a time.
/// </summary>
public sealed class Recorder(IObjectStorage storage, CancellationToken ct)
{
    private readonly Dictionary<string, (string Value, long Revision)> _state = new(StringComparer.Ordinal);

    /// <summary>Expected events, in the order the writes were acknowledged (which is revision order).</summary>
    public List<Ev> Events { get; } = [];

    public bool Exists(string key) => _state.ContainsKey(key);

    public long RevisionOf(string key) => _state[key].Revision;

    public async Task<long> CreateAsync(string key, string value)
    {
        var revision = await storage.CreateAsync(key, Text.Bytes(value), ct);
        _state[key] = (value, revision);
        Events.Add(new Ev(StorageEventType.Added, key, value, null, revision));
        return revision;
    }

    public async Task<long> UpdateAsync(string key, string value)
    {
        var (old, expected) = _state[key];
        var revision = await storage.UpdateAsync(key, Text.Bytes(value), expected, ct);
        _state[key] = (value, revision);
        Events.Add(new Ev(StorageEventType.Modified, key, value, old, revision));
        return revision;
    }

    public async Task<long> DeleteAsync(string key)
    {
        var (old, expected) = _state[key];
        var revision = await storage.DeleteAsync(key, expected, ct);
        _state.Remove(key);
        Events.Add(new Ev(StorageEventType.Deleted, key, null, old, revision));
        return revision;
    }

    /// <summary>
    /// Write number <paramref name="i"/> of a churn over <paramref name="keyCount"/> keys under <paramref name="prefix"/>:
    /// creates a missing key, otherwise updates it, deleting it every third visit.
    /// </summary>
    public Task<long> StepAsync(string prefix, int keyCount, int i)
    {
        var key = $"{prefix}k{i % keyCount:D3}";
        var value = $"{key}@{i}";
        if (!Exists(key)) return CreateAsync(key, value);
        return (i / keyCount) % 3 == 2 ? DeleteAsync(key) : UpdateAsync(key, value);
    }
}
