using System.Collections.Concurrent;
using System.Diagnostics;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.Clusters;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Infrastructure.HealthProbing;

/// <summary>
/// The health prober: on the one replica that holds the <see cref="LeaseName"/> lease it probes every cluster
/// whose endpoint lies in the allowed ranges, at most <see cref="HealthProbeOptions.MaxInFlight"/> at a time, and
/// writes Ready, IdentityMismatch and the version (<see cref="HealthStatusWriter"/>) when they change or a heartbeat
/// is due. It renews the lease every third of its duration and stops probing as soon as a renewal fails or the
/// lease's duration has passed since the last renewal; writes stop at two thirds of the lease counted from when the
/// last renewal was sent, so two replicas never write at once.
/// </summary>
public sealed class HealthProber(
    HealthProbeOptions options, IObjectStorage storage, ILeaseStore leases, HealthStatusWriter writer, HealthProbeMetrics metrics,
    ProbeTargets targets, TimeProvider time, ILogger<HealthProber> logger) : BackgroundService
{
    public const string LeaseName = "health-prober";

    private readonly string _holder = $"{Environment.MachineName}_{Guid.NewGuid():N}";
    private readonly ConcurrentDictionary<string, ClusterProbe> _clusters = new();
    private long _renewedAt = long.MinValue;

    private sealed class ClusterProbe
    {
        public string Uid = "";
        public long Generation;
        public Hysteresis Hysteresis = new();
        public ReportedHealth? Reported;
        public bool Seeded;
        public DateTimeOffset NextDue;
        public int InFlight;
        /// <summary>The revision of this replica's last write: a listed copy older than it is stale and waits for the next tick.</summary>
        public long Written;
    }

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        metrics.ObserveReady(() => _clusters.Values.Select(c => c.Reported?.Ready).OfType<string>()
            .GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count()));
        CancellationTokenSource? probing = null;
        Task? loop = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                // The lease runs from when the store got the request at the earliest: count from the send, not the reply.
                var sent = Stopwatch.GetTimestamp();
                var held = false;
                try
                {
                    held = await leases.TryAcquireAsync(LeaseName, _holder, options.LeaseDuration, stop);
                }
                catch (StorageException e)
                {
                    logger.LogWarning("Health prober: cannot renew its lease: {Message}", e.Message);
                }
                if (held) Volatile.Write(ref _renewedAt, sent);
                metrics.LeaseHeld(held);
                if (held && loop is null)
                {
                    logger.LogInformation("Health prober: this replica ({Holder}) holds the lease and probes", _holder);
                    probing = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    loop = ProbeLoopAsync(probing.Token);
                }
                else if (!held && loop is not null)
                {
                    logger.LogInformation("Health prober: lease lost; probing stops on this replica");
                    await StopAsync(probing!, loop);
                    (probing, loop) = (null, null);
                }
                await Task.Delay(options.LeaseDuration / 3, time, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            if (loop is not null) await StopAsync(probing!, loop);
            metrics.LeaseHeld(false);
            try
            {
                using var release = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await leases.ReleaseAsync(LeaseName, _holder, release.Token);
            }
            catch (Exception e) when (e is StorageException or OperationCanceledException)
            {
                // The lease then expires on its own.
            }
        }
    }

    private static async Task StopAsync(CancellationTokenSource probing, Task loop)
    {
        await probing.CancelAsync();
        try
        {
            await loop;
        }
        catch (OperationCanceledException)
        {
        }
        probing.Dispose();
    }

    /// <summary>
    /// True while less than two thirds of the lease have passed since the last successful renewal was sent: the
    /// lease may end a full duration after that send at the earliest, and the margin covers a write that starts just
    /// before the cut-off (its own round trip and the store's clock rate differing from ours).
    /// </summary>
    private bool StillHolding() => Stopwatch.GetElapsedTime(Volatile.Read(ref _renewedAt)) < options.LeaseDuration * 2 / 3;

    private async Task ProbeLoopAsync(CancellationToken ct)
    {
        await Task.Yield();
        // A new term starts from what the objects say, not from what this replica believed before it lost the lease.
        _clusters.Clear();
        using var slots = new SemaphoreSlim(options.MaxInFlight);
        var running = new List<Task>();
        var tick = options.Interval < TimeSpan.FromSeconds(1) ? options.Interval : TimeSpan.FromSeconds(1);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var seen = new HashSet<string>();
                var full = false;
                try
                {
                    foreach (var cluster in await ListAsync(ct))
                    {
                        var name = cluster.Metadata.Name!;
                        seen.Add(name);
                        var probe = _clusters.GetOrAdd(name, _ => new ClusterProbe());
                        var now = time.GetUtcNow();
                        if (Volatile.Read(ref probe.InFlight) != 0 || probe.NextDue > now
                            || Revision(cluster) < Interlocked.Read(ref probe.Written)) continue;
                        // A slot is taken as soon as one frees, but the loop waits at most one tick in a round: when
                        // slow endpoints hold every slot, the rest wait for the next round instead of the loop
                        // blocking on them (a cluster whose probe still runs is skipped above).
                        if (full) continue;
                        if (!await slots.WaitAsync(tick, ct))
                        {
                            full = true;
                            continue;
                        }
                        var settings = HealthProbeAnnotations.SettingsFor(cluster, options);
                        probe.NextDue = now + settings.Interval;
                        Interlocked.Exchange(ref probe.InFlight, 1);
                        running.RemoveAll(t => t.IsCompleted);
                        running.Add(Task.Run(async () =>
                        {
                            try
                            {
                                await ProbeAsync(cluster, probe, settings, ct);
                            }
                            catch (Exception e) when (e is not OperationCanceledException)
                            {
                                logger.LogWarning("Health prober: cluster {Name}: {Message}", name, e.Message);
                            }
                            finally
                            {
                                Interlocked.Exchange(ref probe.InFlight, 0);
                                slots.Release();
                            }
                        }, CancellationToken.None));
                    }
                    foreach (var gone in _clusters.Keys.Where(k => !seen.Contains(k)).ToList()) _clusters.TryRemove(gone, out _);
                }
                catch (StorageException e)
                {
                    logger.LogWarning("Health prober: cannot list clusters: {Message}", e.Message);
                }
                await Task.Delay(tick, time, ct);
            }
        }
        finally
        {
            await Task.WhenAll(running.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        }
    }

    private async Task<List<Cluster>> ListAsync(CancellationToken ct)
    {
        var clusters = new List<Cluster>();
        string? after = null;
        long revision = 0;
        while (true)
        {
            var page = await storage.ListAsync(ClusterKeys.Prefix, new ListRange(revision, after, 500), ct);
            revision = page.Revision;
            // The watch cache's shared copy, decoded once per version (not every round); the prober only reads it.
            foreach (var item in page.Items) clusters.Add(SharedCluster.Of(item).Object);
            if (!page.HasMore || page.Items.Count == 0) return clusters;
            after = page.Items[^1].Key[ClusterKeys.Prefix.Length..];
        }
    }

    private async Task ProbeAsync(Cluster cluster, ClusterProbe probe, ProbeSettings settings, CancellationToken ct)
    {
        var name = cluster.Metadata.Name!;
        // A cluster re-created under the same name, or with a changed spec (another endpoint), starts its count over.
        if (probe.Uid != cluster.Metadata.Uid || probe.Generation != cluster.Metadata.Generation)
        {
            probe.Uid = cluster.Metadata.Uid ?? "";
            probe.Generation = cluster.Metadata.Generation ?? 0;
            probe.Hysteresis = new Hysteresis();
            probe.Seeded = false;
        }
        if (!probe.Seeded)
        {
            probe.Reported = ReportedHealth.From(cluster);
            probe.Seeded = true;
        }
        var (target, refusal) = await targets.ChooseAsync(cluster, ct);
        ProbeResult result;
        var pinned = HealthProbeAnnotations.Pinned(cluster);
        if (target is null)
        {
            metrics.Skipped(refusal);
            // A name that stops resolving is a failure only for a cluster this term has probed: nothing is ever
            // written about a cluster that was never seen inside the allowed ranges.
            if (refusal != TargetRefusal.Unresolvable || probe.Hysteresis.Successes + probe.Hysteresis.Failures == 0) return;
            result = ProbeResult.Failure(ProbeReasons.Unresolvable, "the endpoint's host name does not resolve");
        }
        else
        {
            var started = Stopwatch.GetTimestamp();
            result = await EndpointProbe.RunAsync(target, cluster.Spec?.KubernetesApiEndpoints?.CaBundle, pinned, settings.Timeout, ct);
            metrics.Probed(result, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        if (!StillHolding()) return;
        if (result.Healthy && pinned is null && result.Fingerprint is not null)
        {
            await WriteAsync(probe, name, () => writer.PinAsync(name, probe.Uid, result.Fingerprint, ct));
            pinned = result.Fingerprint;
        }
        var now = time.GetUtcNow();
        now = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        var next = probe.Hysteresis.Next(probe.Reported, result, settings, pinned, now);
        var due = probe.Reported is null || probe.Reported.Differs(next) || now - probe.Reported.Heartbeat >= options.HeartbeatInterval;
        if (!due) return;
        if (await WriteAsync(probe, name, () => writer.WriteStatusAsync(name, probe.Uid, next, ct))) probe.Reported = next;
    }

    private static long Revision(Cluster cluster) => long.TryParse(cluster.Metadata.ResourceVersion, out var rv) ? rv : 0;

    private async Task<bool> WriteAsync(ClusterProbe probe, string name, Func<Task<long>> write)
    {
        if (!StillHolding()) return false;
        try
        {
            Interlocked.Exchange(ref probe.Written, await write());
            metrics.Wrote();
            return true;
        }
        catch (ApiStatusException e)
        {
            // Deleted meanwhile (404), or refused: the next probe tries again.
            logger.LogDebug("Health prober: writing cluster {Name}: {Message}", name, e.Message);
            metrics.Refused(e.Code);
            return false;
        }
    }
}
