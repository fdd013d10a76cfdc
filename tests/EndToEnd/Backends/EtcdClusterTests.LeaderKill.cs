using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>
/// The etcd leader killed (SIGKILL, no leadership hand-over) while writers create and patch through three server
/// replicas: the survivors elect a new leader, and the servers fail their writes over to it. Every write must succeed
/// (none answered 5xx, none answered a spurious 409 for a write that was in fact applied by an earlier attempt),
/// none is lost, and a watch on every replica delivers all of them in order.
/// </summary>
public sealed partial class EtcdClusterTests
{
    private const string RunLabel = "e2e.clusterregistry.k8s.io/leader-kill";
    private const int WritersPerReplica = 2;

    /// <summary>How long the writers run before the kill and after it (load, not a bound on anything measured).</summary>
    private static readonly TimeSpan LoadBeforeKill = TimeSpan.FromSeconds(3), LoadAfterKill = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task LeaderKilled_UnderWritesThroughThreeReplicas_EveryWriteSucceeds_NoneLost_WatchesCompleteAndOrdered()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var selector = "labelSelector=" + Uri.EscapeDataString($"{RunLabel}={run}");
        // Replicas of their own, under a prefix of their own: the other tests of the class list everything under theirs.
        var args = etcd.ServerArgsUnder($"{etcd.Prefix}-leader-kill-{run}");
        await using var first = await ServerProcess.StartAsync(null, null, args);
        await using var second = await ServerProcess.StartAsync(null, null, args);
        await using var third = await ServerProcess.StartAsync(null, null, args);
        ServerProcess[] replicas = [first, second, third];
        var clients = replicas.Select(r =>
        {
            var c = r.CreateClient();
            c.Timeout = TimeSpan.FromSeconds(60);
            return c;
        }).ToArray();
        var victim = -1;
        try
        {
            var start = await Api.ListAsync(clients[0], selector);
            var startRv = long.Parse(start.GetProperty("metadata").GetProperty("resourceVersion").GetString()!);
            var watches = await Task.WhenAll(replicas.Select(r => WatchRecorder.OpenAsync(r, $"resourceVersion={startRv}&{selector}")));
            try
            {
                var acks = new ConcurrentQueue<Ack>();
                var failures = new ConcurrentQueue<Failure>();
                var clock = Stopwatch.StartNew();
                long killedAt = -1;
                using var stop = new CancellationTokenSource();
                var writers = Enumerable.Range(0, replicas.Length * WritersPerReplica).Select(w => Task.Run(async () =>
                {
                    var client = clients[w % clients.Length];
                    var mine = new List<string>();
                    for (var i = 0; !stop.IsCancellationRequested; i++)
                    {
                        var create = i % 2 == 0 || mine.Count == 0;
                        var name = create ? $"lk-{run}-{w}-{i}" : mine[i % mine.Count];
                        var value = $"{w}-{i}";
                        var since = Interlocked.Read(ref killedAt);
                        var phase = since < 0 ? "before" : "after";
                        var (ok, rv, why) = create ? await TryCreateAsync(client, name, value, run) : await TryPatchAsync(client, name, value);
                        var ms = since < 0 ? -1 : clock.ElapsedMilliseconds - since;
                        if (!ok)
                        {
                            failures.Enqueue(new Failure(phase, name, value, ms, why));
                            await Task.Delay(200);
                            continue;
                        }
                        acks.Enqueue(new Ack(phase, create ? "create" : "patch", name, rv, value, ms));
                        if (create) mine.Add(name);
                    }
                })).ToArray();

                await Task.Delay(LoadBeforeKill);
                victim = await etcd.LeaderAsync(TimeSpan.FromSeconds(30));
                await etcd.KillAsync(victim);
                Interlocked.Exchange(ref killedAt, clock.ElapsedMilliseconds);
                output.WriteLine($"killed etcd{victim} (the leader) with {acks.Count} writes acknowledged");
                await Task.Delay(LoadAfterKill);
                await stop.CancelAsync();
                await Task.WhenAll(writers);

                var all = acks.ToList();
                output.WriteLine($"{all.Count} acknowledged writes ({all.Count(a => a.Phase == "after")} after the kill), {failures.Count} failed");
                foreach (var f in failures.Take(10)) output.WriteLine("  failed: " + f);
                Assert.True(failures.IsEmpty, $"{failures.Count} writes failed around the kill of the etcd leader etcd{victim}; first: {failures.FirstOrDefault()}");
                Assert.Contains(all, a => a.Phase == "after");

                // Nothing acknowledged is lost: every replica lists every object at its last acknowledged write, and nothing else.
                var last = all.GroupBy(a => a.Name).ToDictionary(g => g.Key, g => g.MaxBy(a => a.Rv)!);
                for (var r = 0; r < clients.Length; r++)
                {
                    var listed = await Api.ListAsync(clients[r], selector);
                    var items = listed.GetProperty("items").EnumerateArray().ToDictionary(Api.Name, i => (Rv: long.Parse(Api.ResourceVersion(i)), Value: Value(i)));
                    foreach (var (name, ack) in last)
                    {
                        Assert.True(items.TryGetValue(name, out var item), $"replica {r}: {name} (created and acknowledged) is missing from the list");
                        Assert.Equal((ack.Rv, ack.Value), (item.Rv, item.Value));
                    }
                    Assert.Equal(last.Count, items.Count);
                }

                // Every replica's watch delivers every acknowledged write, in order, and nothing that was not written.
                for (var r = 0; r < watches.Length; r++)
                {
                    var complete = await watches[r].WaitAsync(ev => CoversAll(ev, all), TimeSpan.FromSeconds(60));
                    var delivered = WatchRecorder.ObjectEvents(watches[r].Events);
                    Assert.True(complete, $"replica {r}'s watch delivered {delivered.Count} of {all.Count} acknowledged writes (ended: {watches[r].EndReason ?? "no"})");
                    var rvs = delivered.Select(d => d.Rv).ToList();
                    Assert.True(rvs.Zip(rvs.Skip(1)).All(p => p.First < p.Second), $"replica {r}'s watch is out of order: " + string.Join(",", rvs));
                    var byRv = delivered.ToDictionary(d => d.Rv);
                    foreach (var ack in all)
                        Assert.Equal((ack.Op == "create" ? "ADDED" : "MODIFIED", ack.Name, ack.Value), (byRv[ack.Rv].Type, byRv[ack.Rv].Name, Value(byRv[ack.Rv].Object)));
                    Assert.Equal(all.Count, delivered.Count);
                }
            }
            finally
            {
                foreach (var w in watches) await w.DisposeAsync();
            }
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
            // The cluster is shared with the other tests of this class: bring the killed member back.
            if (victim >= 0) await etcd.StartAsync(victim);
        }
    }

    private static async Task<(bool Ok, long Rv, string Why)> TryCreateAsync(HttpClient client, string name, string value, string run)
    {
        var cluster = Api.NewCluster(name, new Dictionary<string, string> { [RunLabel] = run });
        cluster["metadata"]!["annotations"] = new JsonObject { [ValueKey] = value };
        return await TryAsync(() => client.PostAsync(Api.Collection, Api.Body(cluster)), HttpStatusCode.Created);
    }

    private static Task<(bool Ok, long Rv, string Why)> TryPatchAsync(HttpClient client, string name, string value)
    {
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [ValueKey] = value } } };
        return TryAsync(() => client.PatchAsync(Api.Item(name), Api.Body(patch, Api.MergePatch)), HttpStatusCode.OK);
    }
}
