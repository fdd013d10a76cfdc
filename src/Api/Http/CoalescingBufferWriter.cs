using System.Buffers;
using System.IO.Pipelines;

namespace ClusterRegistry.Api.Http;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that hands out a <see cref="PipeWriter"/>'s memory and advances that writer once
/// per block it filled, not once per write. Kestrel's response writer takes a lock and checks the declared length on
/// every GetSpan/Advance; a list written as three pieces per item (stored bytes, spliced resourceVersion, rest; ADR-026)
/// paid that 40,000 times for 10,000 objects, which this brings down to once per pipe block (ADR-027).
/// Call <see cref="Commit"/> before flushing or writing to the inner writer directly.
/// </summary>
public sealed class CoalescingBufferWriter(PipeWriter inner) : IBufferWriter<byte>
{
    private Memory<byte> _block;
    private int _used;

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_block.Length - _used)) throw new ArgumentOutOfRangeException(nameof(count));
        _used += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (_block.Length - _used < Math.Max(sizeHint, 1))
        {
            Commit();
            _block = inner.GetMemory(sizeHint);
        }
        return _block[_used..];
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    /// <summary>Advances the inner writer past what was written to the block it lent; the block is not used again.</summary>
    public void Commit()
    {
        if (_used > 0) inner.Advance(_used);
        _block = default;
        _used = 0;
    }
}
