using System.Buffers;

namespace ClusterRegistry.Api.Http;

/// <summary>
/// A response body built before it is sent, so its length can be declared (small bodies go out whole, large ones are
/// compressed: <see cref="LargeResponseCompression"/>), in 64 KiB arrays from the shared pool instead of one array
/// grown and copied to the size of a whole list. Dispose returns the arrays.
/// </summary>
public sealed class PooledBody : IBufferWriter<byte>, IDisposable
{
    private const int SegmentSize = 64 * 1024;
    private readonly List<(byte[] Array, int Used)> _full = [];
    private byte[]? _current;
    private int _used;

    /// <summary>The bytes written so far.</summary>
    public long Length { get; private set; }

    public void Advance(int count)
    {
        if (_current is null || (uint)count > (uint)(_current.Length - _used)) throw new ArgumentOutOfRangeException(nameof(count));
        _used += count;
        Length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _current.AsMemory(_used);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _current.AsSpan(_used);
    }

    private void Reserve(int sizeHint)
    {
        if (_current is not null && _current.Length - _used >= Math.Max(sizeHint, 1)) return;
        if (_current is not null) _full.Add((_current, _used));
        _current = ArrayPool<byte>.Shared.Rent(Math.Max(sizeHint, SegmentSize));
        _used = 0;
    }

    /// <summary>Sends the body with its length declared.</summary>
    public async Task WriteToAsync(HttpResponse response, CancellationToken ct)
    {
        response.ContentLength = Length;
        foreach (var (array, used) in _full) await response.BodyWriter.WriteAsync(array.AsMemory(0, used), ct);
        if (_current is not null) await response.BodyWriter.WriteAsync(_current.AsMemory(0, _used), ct);
    }

    public void Dispose()
    {
        foreach (var (array, _) in _full) ArrayPool<byte>.Shared.Return(array);
        if (_current is not null) ArrayPool<byte>.Shared.Return(_current);
        _full.Clear();
        _current = null;
    }
}
