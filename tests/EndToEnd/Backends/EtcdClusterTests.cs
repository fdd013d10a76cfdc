using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using Xunit.Abstractions;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>
/// A server on a three-member etcd cluster (all members in --etcd-servers) while one member is stopped and started
/// again: writes and watches go on through the remaining quorum, and no acknowledged write is lost or silently skipped.
/// The leader killed under load through three replicas: EtcdClusterTests.LeaderKill.cs.
/// </summary>
[Requires(Prerequisite.Docker)]
public sealed partial class EtcdClusterTests(EtcdClusterContainers etcd, ITestOutputHelper output) : IClassFixture<EtcdClusterContainers>, IAsyncLifetime
{
    private const string ValueKey = "e2e.clusterregistry.k8s.io/value";
    private const int Writers = 4, OpsPerWriter = 8;
    private static readonly TimeSpan WriteBudget = TimeSpan.FromSeconds(30);

    /// <summary>How long writes keep going with the member stopped, well past <see cref="FailoverGrace"/>.</summary>
    private static readonly TimeSpan DuringLoad = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Writes may fail while the survivors elect a leader and the client notices the member is gone (a bound, not a
    /// speed requirement: an election takes about a second); after that every write must go through the quorum.
    /// </summary>
    private static readonly TimeSpan FailoverGrace = TimeSpan.FromSeconds(10);

    private readonly ConcurrentQueue<Ack> _acks = new();
    private readonly ConcurrentQueue<Failure> _uncertain = new();
    private readonly ConcurrentDictionary<int, List<string>> _objects = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _stoppedAt = -1;
    private ServerProcess _server = null!;
    private HttpClient _client = null!;

    private sealed record Ack(string Phase, string Op, string Name, long Rv, string Value, long MsAfterStop);

    /// <summary>A write that was not acknowledged (5xx or no answer): it may or may not have been applied.</summary>
    private sealed record Failure(string Phase, string Name, string Value, long MsAfterStop, string Why)
    {
        public override string ToString() => $"[{Phase}, {MsAfterStop} ms after the stop] {Name}={Value}: {Why}";
    }

    public async Task InitializeAsync()
    {
        _server = await ServerProcess.StartAsync(null, null, etcd.ServerArgs);
        _client = _server.CreateClient();
        _client.Timeout = TimeSpan.FromSeconds(30);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task OneMemberStopped_WritesAndWatchesContinue_NoAcknowledgedWriteLostOrSkipped()
    {
        var start = await Api.ListAsync(_client, "");
        var startRv = long.Parse(start.GetProperty("metadata").GetProperty("resourceVersion").GetString()!);
        await using var watch = await WatchRecorder.OpenAsync(_server, $"resourceVersion={startRv}");

        // Before: all three members up.
        await RunPhaseAsync("before", TimeSpan.Zero);

        // Stop the leader (the hardest member to lose: the survivors must elect a new one), whichever member the
        // server's connections happen to use; the client has to fail over on its own.
        var victim = await etcd.LeaderAsync(TimeSpan.FromSeconds(30));
        var sw = Stopwatch.StartNew();
        await etcd.StopAsync(victim);
        _stoppedAt = _clock.ElapsedMilliseconds;
        output.WriteLine($"stopped etcd{victim} (the leader, {etcd.Endpoint(victim)}, position {victim} in --etcd-servers) in {sw.ElapsedMilliseconds} ms");

        // A watch opened while the member is down works too, and delivers the writes made through the quorum.
        var duringStart = Math.Max(_acks.Max(a => a.Rv), startRv);
        await using (var duringWatch = await WatchRecorder.OpenAsync(_server, $"resourceVersion={duringStart}"))
        {
            // During: writes go on through the remaining two members.
            sw.Restart();
            await RunPhaseAsync("during", DuringLoad);
            output.WriteLine($"'during' phase took {sw.ElapsedMilliseconds} ms");
            var duringAcks = _acks.Where(a => a.Phase == "during").ToList();
            var all = await duringWatch.WaitAsync(ev => CoversAll(ev, duringAcks), TimeSpan.FromSeconds(30));
            Assert.True(all, $"a watch opened while etcd{victim} was stopped did not deliver the {duringAcks.Count} writes made then " +
                $"(ended: {duringWatch.EndReason ?? "no"}; delivered {WatchRecorder.ObjectEvents(duringWatch.Events).Count} events)");
        }
        // Reads go on too (a GET of every object acknowledged so far, spread over the connections).
        foreach (var ack in LastAcks().Values)
        {
            var read = await Api.GetAsync(_client, ack.Name);
            AssertLastAcknowledged(ack, long.Parse(Api.ResourceVersion(read)), Value(read), "read while the member was stopped");
        }

        sw.Restart();
        await etcd.StartAsync(victim);
        output.WriteLine($"etcd{victim} started again and healthy in {sw.ElapsedMilliseconds} ms");

        // After: the member is back.
        await RunPhaseAsync("after", TimeSpan.Zero);

        var acks = _acks.ToList();
        output.WriteLine($"{acks.Count} acknowledged writes ({string.Join(", ", acks.GroupBy(a => a.Phase).Select(g => $"{g.Key}: {g.Count()}"))}), " +
            $"{_uncertain.Count} failed attempts (outcome unknown)");
        foreach (var u in _uncertain.Take(5).Concat(_uncertain.Skip(Math.Max(5, _uncertain.Count - 5))))
            output.WriteLine("  failed attempt " + u);

        // Every acknowledged create is listed, with the last acknowledged value (or a later write whose answer was lost).
        var listed = await Api.ListAsync(_client, "");
        var listRv = long.Parse(listed.GetProperty("metadata").GetProperty("resourceVersion").GetString()!);
        Assert.True(listRv >= acks.Max(a => a.Rv), $"the list's resourceVersion {listRv} is before the last acknowledged write {acks.Max(a => a.Rv)}");
        var items = listed.GetProperty("items").EnumerateArray().ToDictionary(Api.Name, i => (Rv: long.Parse(Api.ResourceVersion(i)), Value: Value(i)));
        foreach (var (name, last) in LastAcks())
        {
            Assert.True(items.TryGetValue(name, out var item), $"{name} (created and acknowledged) is missing from the list");
            AssertLastAcknowledged(last, item.Rv, item.Value, "listed at the end");
        }
        foreach (var (name, item) in items.Where(i => !LastAcks().ContainsKey(i.Key)))
            Assert.True(IsUncertain(name, item.Value), $"{name} is listed but nobody created it");

        // The watch opened before the stop delivers every acknowledged write in order, or ends with a 410 ERROR (or
        // the end of the stream) having delivered every acknowledged write up to where it ended: never a silent gap.
        await watch.WaitAsync(ev => CoversAll(ev, acks), TimeSpan.FromSeconds(60));
        var events = watch.Events;
        var delivered = WatchRecorder.ObjectEvents(events);
        var rvs = delivered.Select(d => d.Rv).ToList();
        Assert.True(rvs.Zip(rvs.Skip(1)).All(p => p.First < p.Second), "watch resourceVersions are not strictly increasing: " + string.Join(",", rvs));
        var upTo = rvs.Count > 0 ? rvs[^1] : startRv;
        var byRv = delivered.ToDictionary(d => d.Rv);
        foreach (var ack in acks.Where(a => a.Rv <= upTo).OrderBy(a => a.Rv))
        {
            Assert.True(byRv.TryGetValue(ack.Rv, out var d),
                $"the watch skipped the acknowledged {ack.Op} of {ack.Name}@{ack.Rv} ({ack.Phase}) but delivered up to {upTo}; ended: {watch.EndReason ?? "no"}");
            Assert.Equal((ack.Op == "create" ? "ADDED" : "MODIFIED", ack.Name, ack.Value), (d.Type, d.Name, Value(d.Object)));
        }
        foreach (var d in delivered.Where(d => !acks.Any(a => a.Rv == d.Rv)))
            Assert.True(IsUncertain(d.Name, Value(d.Object)), $"the watch delivered {d.Type} {d.Name}@{d.Rv} that nobody wrote");

        var error = WatchRecorder.Error(events);
        if (watch.EndReason is { } reason)
        {
            output.WriteLine($"the watch opened before the stop ended after {delivered.Count} events (up to {upTo} of {acks.Max(a => a.Rv)}): {reason}");
            Assert.DoesNotContain("followed by", reason);
            if (error is { } status)
            {
                Assert.Equal("Status", status.GetProperty("kind").GetString());
                Assert.Equal(410, status.GetProperty("code").GetInt32());
            }
        }
        else
        {
            output.WriteLine($"the watch opened before the stop delivered all {acks.Count} acknowledged writes ({delivered.Count} events) and is still open");
            Assert.True(CoversAll(events, acks), "the watch is open but has not delivered every acknowledged write within 60 s");
        }

        // Checked last, so that the checks above run whatever happens here: once the survivors have a leader and the
        // client has noticed the stopped member, writes go through the quorum instead of failing.
        var grace = (long)FailoverGrace.TotalMilliseconds;
        var late = _uncertain.Where(u => u.Phase == "during" && u.MsAfterStop > grace).ToList();
        var lateAttempts = late.Count + acks.Count(a => a.Phase == "during" && a.MsAfterStop > grace);
        var early = _uncertain.Count(u => u.Phase == "during" && u.MsAfterStop <= grace);
        output.WriteLine($"with etcd{victim} stopped: {early} writes failed in the first {FailoverGrace.TotalSeconds:0} s, " +
            $"{late.Count} of {lateAttempts} failed after that; {_uncertain.Count(u => u.Phase == "after")} failed after it was started again");
        if (late.Count > 0)
            Assert.Fail($"{late.Count} of {lateAttempts} writes made more than {FailoverGrace.TotalSeconds:0} s after etcd{victim} was stopped failed: " +
                $"the client did not fail over to the remaining quorum. First: {late[0]}. Last: {late[^1]}");
    }

    /// <summary>
    /// Runs <see cref="Writers"/> writers of creates and patches, at least <see cref="OpsPerWriter"/> each and for at
    /// least <paramref name="minimum"/>; every operation must succeed within <see cref="WriteBudget"/> (retried with a
    /// fresh value, the failed attempts recorded as of unknown outcome).
    /// </summary>
    private async Task RunPhaseAsync(string phase, TimeSpan minimum)
    {
        var phaseClock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var mine = _objects.GetOrAdd(w, _ => []);
            for (var i = 0; i < OpsPerWriter || phaseClock.Elapsed < minimum; i++)
            {
                if (i >= OpsPerWriter) await Task.Delay(50);
                var create = i % 2 == 0 || mine.Count == 0;
                var deadline = DateTime.UtcNow + WriteBudget;
                for (var attempt = 0; ; attempt++)
                {
                    var value = $"{phase}-{w}-{i}-{attempt}";
                    var name = create ? $"ec-{phase}-{w}-{i}-{attempt}" : mine[i % mine.Count];
                    var (ok, rv, why) = create ? await TryCreateAsync(name, value) : await TryPatchAsync(name, value);
                    if (ok)
                    {
                        _acks.Enqueue(new Ack(phase, create ? "create" : "patch", name, rv, value, MsAfterStop));
                        if (create) mine.Add(name);
                        break;
                    }
                    _uncertain.Enqueue(new Failure(phase, name, value, MsAfterStop, why));
                    if (DateTime.UtcNow > deadline)
                        throw new Xunit.Sdk.XunitException($"phase '{phase}': writer {w} could not write within {WriteBudget.TotalSeconds}s; last failure: {why}");
                    await Task.Delay(200);
                }
            }
        })));
    }

    private long MsAfterStop => _stoppedAt < 0 ? -1 : _clock.ElapsedMilliseconds - _stoppedAt;

    private async Task<(bool Ok, long Rv, string Why)> TryCreateAsync(string name, string value)
    {
        var cluster = Api.NewCluster(name);
        cluster["metadata"]!["annotations"] = new JsonObject { [ValueKey] = value };
        return await TryAsync(() => _client.PostAsync(Api.Collection, Api.Body(cluster)), HttpStatusCode.Created);
    }

    private Task<(bool Ok, long Rv, string Why)> TryPatchAsync(string name, string value)
    {
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [ValueKey] = value } } };
        return TryAsync(() => _client.PatchAsync(Api.Item(name), Api.Body(patch, Api.MergePatch)), HttpStatusCode.OK);
    }

    /// <summary>One write: acknowledged (with its resourceVersion), or failed with 5xx / no answer (outcome unknown). Anything else fails the test.</summary>
    private static async Task<(bool Ok, long Rv, string Why)> TryAsync(Func<Task<HttpResponseMessage>> send, HttpStatusCode success)
    {
        HttpResponseMessage response;
        try
        {
            response = await send();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (false, 0, "no answer: " + e.Message);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == success)
                return (true, long.Parse(Api.ResourceVersion(JsonDocument.Parse(text).RootElement)), "");
            Assert.True((int)response.StatusCode >= 500, $"unexpected {(int)response.StatusCode}: {text}");
            var status = JsonDocument.Parse(text).RootElement;
            Assert.Equal("Status", status.GetProperty("kind").GetString());
            return (false, 0, $"{(int)response.StatusCode} {status.GetProperty("message").GetString()}");
        }
    }

    private Dictionary<string, Ack> LastAcks() =>
        _acks.GroupBy(a => a.Name).ToDictionary(g => g.Key, g => g.MaxBy(a => a.Rv)!);

    /// <summary>An object read at <paramref name="rv"/> holds its last acknowledged value, or a later write whose answer was lost.</summary>
    private void AssertLastAcknowledged(Ack last, long rv, string? value, string how)
    {
        Assert.True(rv >= last.Rv, $"{last.Name} {how} at resourceVersion {rv}, before its last acknowledged write {last.Rv}");
        if (rv == last.Rv) Assert.Equal(last.Value, value);
        else Assert.True(IsUncertain(last.Name, value), $"{last.Name} {how} with {value}@{rv}, not its last acknowledged value {last.Value}@{last.Rv}");
    }

    private bool IsUncertain(string name, string? value) => _uncertain.Any(u => u.Name == name && u.Value == value);

    private static string? Value(JsonElement cluster) =>
        cluster.GetProperty("metadata").TryGetProperty("annotations", out var a) && a.TryGetProperty(ValueKey, out var v) ? v.GetString() : null;

    private static bool CoversAll(List<JsonElement> events, IEnumerable<Ack> acks)
    {
        var rvs = WatchRecorder.ObjectEvents(events).Select(e => e.Rv).ToHashSet();
        return acks.All(a => rvs.Contains(a.Rv));
    }
}
