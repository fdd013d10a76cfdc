using System.Runtime;
using System.Runtime.InteropServices;

namespace ClusterRegistry.Api.Observability;

/// <summary>
/// Gives memory back to the operating system after a burst of watchers was cut for not reading, and after a burst
/// of requests once the server has gone quiet.
/// </summary>
/// <remarks>
/// Each stuck watcher holds its queued events, Kestrel's response and TLS buffers (pinned pool blocks) and its
/// connection state; cutting 2,000 of them frees hundreds of MiB at once. Nothing returns that memory until a full,
/// compacting collection runs, and a server that goes quiet afterwards allocates too little to trigger one, so the
/// process would keep its peak resident size for hours (measured: 140 MiB → 720 MiB, unchanged after minutes of
/// light traffic). Go's scavenger does this for kube-apiserver; here it is one aggressive collection once the cuts
/// have stopped for a few seconds, and a second after Kestrel's memory pool has evicted its idle blocks (it drops a
/// share of them every 10 s while idle). A few cut watchers do not warrant it: the threshold keeps this to bursts,
/// and a burst that continues only postpones it.
/// A burst of requests leaves the same kind of surplus, smaller: with 10,000 objects, after creating them and a few
/// thousand reads the process kept ~10 MiB of freed glibc arenas (OpenSSL's and SQLite's buffers, per thread) and a
/// few MiB of GC regions over its live heap (ADR-035-embedded-store-without-ef-core). Once the process has
/// allocated <see cref="BurstAllocation"/> since the last return and then allocates next to nothing for
/// <see cref="Quiet"/>, the same return runs: never under load (a busy server keeps allocating), at most once per burst,
/// only after a busy spell (not after a slow trickle) and at most once every few minutes.
/// </remarks>
public sealed class MemoryReturner(ILogger<MemoryReturner> log, TimeProvider time) : BackgroundService
{
    /// <summary>Cut watchers that make a burst worth a full collection.</summary>
    public const int BurstThreshold = 32;

    /// <summary>Bytes allocated since the last return that make the requests since then a burst.</summary>
    public const long BurstAllocation = 128L << 20;

    /// <summary>Allocation per tick below which the server counts as quiet (an idle server allocates ~30 KB/s).</summary>
    private const long QuietAllocationPerTick = 1L << 20;

    /// <summary>
    /// Allocation per tick that marks the server as busy: a burst counts only if it ended (went quiet) within
    /// <see cref="BurstRecency"/> of such a tick, so a steady trickle (probes, scrapes, bookmarks) that adds up to
    /// <see cref="BurstAllocation"/> over minutes never triggers a full collection.
    /// </summary>
    private const long BusyAllocationPerTick = 8L << 20;

    private static readonly TimeSpan BurstRecency = TimeSpan.FromSeconds(60);

    /// <summary>Least time between two returns after request bursts: a server with frequent bursts is better left alone.</summary>
    private static readonly TimeSpan BurstGap = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PoolEvicted = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private int _cut;
    private long _lastCut;

    /// <summary>Called when a watcher is closed for falling behind.</summary>
    public void WatcherCut()
    {
        Interlocked.Increment(ref _cut);
        Volatile.Write(ref _lastCut, time.GetTimestamp());
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick, time);
        long? secondPassAt = null;
        var allocated = GC.GetTotalAllocatedBytes();
        var returnedAt = allocated;
        var quietTicks = 0;
        long? busyAt = null, burstReturnedAt = null;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = GC.GetTotalAllocatedBytes();
                quietTicks = now - allocated < QuietAllocationPerTick ? quietTicks + 1 : 0;
                if (now - allocated >= BusyAllocationPerTick) busyAt = time.GetTimestamp();
                allocated = now;
                var cut = Volatile.Read(ref _cut);
                if (cut >= BurstThreshold && time.GetElapsedTime(Volatile.Read(ref _lastCut)) >= Quiet)
                {
                    Interlocked.Add(ref _cut, -cut);
                    Return($"{cut} watchers were cut");
                    returnedAt = GC.GetTotalAllocatedBytes();
                    secondPassAt = time.GetTimestamp();
                }
                else if (cut < BurstThreshold && now - returnedAt >= BurstAllocation && quietTicks * Tick >= Quiet
                    && busyAt is { } busy && time.GetElapsedTime(busy) <= BurstRecency
                    && (burstReturnedAt is not { } last || time.GetElapsedTime(last) >= BurstGap))
                {
                    Return($"a burst of requests ({(now - returnedAt) >> 20} MiB allocated)");
                    returnedAt = GC.GetTotalAllocatedBytes();
                    burstReturnedAt = time.GetTimestamp();
                }
                else if (secondPassAt is { } at && time.GetElapsedTime(at) >= PoolEvicted)
                {
                    secondPassAt = null;
                    Return("the server's idle buffers were released");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private void Return(string why)
    {
        var before = Environment.WorkingSet;
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        TrimNativeHeap();
        ApiServerLog.MemoryReturned(log, why, before >> 20, Environment.WorkingSet >> 20);
    }

    /// <summary>
    /// OpenSSL's per-connection buffers come from glibc malloc, which keeps freed memory in its arenas; malloc_trim
    /// hands the free pages back. Other C libraries (musl) lack it and return memory on their own.
    /// </summary>
    private static void TrimNativeHeap()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
