using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace ClusterRegistry.Api.Hosting;

/// <summary>
/// How much memory a connection may hold while its client does not read, and how much of it the server keeps for
/// reuse afterwards.
/// </summary>
/// <remarks>
/// A watch whose client stopped reading fills Kestrel's response pipe and the socket's write pipe before the
/// watcher's own event queue backs up (see WatchStreamWriter); at Kestrel's defaults (64 KiB each) 2,000 such
/// watchers held 256 MiB of buffers, and when they were cut every block went back into Kestrel's pool, which keeps
/// them and gives back about 1 % every 10 s while any traffic flows. 16 KiB per pipe still lets a response stream at
/// full speed on loopback and LAN links (the writer only waits while the kernel's socket buffer is full anyway), and
/// the pool keeps at most <see cref="RetainedBytesPerPool"/> of idle blocks: the rest goes to the GC at once.
/// </remarks>
public static class ConnectionMemory
{
    /// <summary>Bytes a response (and the socket under it) may buffer before the writer waits for the client.</summary>
    public const int WriteBufferBytes = 16 * 1024;

    /// <summary>Idle blocks a pool keeps for reuse; about 1,000 connections' worth of in-flight request reads.</summary>
    public const int RetainedBytesPerPool = 8 * 1024 * 1024;

    public static IWebHostBuilder UseBoundedConnectionMemory(this IWebHostBuilder web)
    {
        web.ConfigureKestrel(k => k.Limits.MaxResponseBufferSize = WriteBufferBytes);
        web.UseSockets(s => s.MaxWriteBufferSize = WriteBufferBytes);
        web.ConfigureServices(services => services.AddSingleton<IMemoryPoolFactory<byte>, BoundedBlockPoolFactory>());
        return web;
    }

    private sealed class BoundedBlockPoolFactory : IMemoryPoolFactory<byte>
    {
        public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new BoundedBlockPool(RetainedBytesPerPool / BoundedBlockPool.BlockSize);
    }

    /// <summary>
    /// Kestrel's pool shape (4 KiB blocks) with a cap on what it keeps. The blocks live on the ordinary heap, not
    /// Kestrel's pinned object heap: pinned blocks never move, so a few hundred still pooled or in use kept every
    /// pinned region they sit in committed after a burst (128 MiB after 2,000 cut watchers). Socket I/O on Linux
    /// pins a buffer only for the duration of each system call.
    /// </summary>
    private sealed class BoundedBlockPool(int maxRetained) : MemoryPool<byte>
    {
        public const int BlockSize = 4096;

        private readonly ConcurrentQueue<Block> _idle = new();
        private int _idleCount;

        public override int MaxBufferSize => BlockSize;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
            if (_idle.TryDequeue(out var block))
            {
                Interlocked.Decrement(ref _idleCount);
                return block;
            }
            return new Block(this);
        }

        private void Return(Block block)
        {
            if (Interlocked.Increment(ref _idleCount) <= maxRetained) _idle.Enqueue(block);
            else Interlocked.Decrement(ref _idleCount);
        }

        protected override void Dispose(bool disposing) => _idle.Clear();

        private sealed class Block(BoundedBlockPool pool) : IMemoryOwner<byte>
        {
            public Memory<byte> Memory { get; } = GC.AllocateUninitializedArray<byte>(BlockSize);

            public void Dispose() => pool.Return(this);
        }
    }
}
