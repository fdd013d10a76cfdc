using ClusterRegistry.Tests.EndToEnd.Backends;
using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.HealthProbing;

/// <summary>
/// 500 registered endpoints probed every second: once their status has settled, further rounds of probes write
/// nothing (unchanged status is rewritten only per heartbeat interval), so watchers see no events.
/// </summary>
public sealed class StatusWriteStormTests
{
    private const int Clusters = 500;

    [Fact]
    public async Task FiveHundredSettledEndpoints_ProbeRoundsWithoutStatusWrites()
    {
        await using var endpoint = await FakeClusterEndpoint.StartAsync();
        await using var server = await ServerProcess.StartAsync(null, null,
            // Failures need five in a row: a probe that times out on this loaded test machine is not a change to report.
            Probing.Flags("127.0.0.1/32", failureThreshold: 5, successThreshold: 1, interval: "2s", heartbeat: "1h", maxInFlight: 32, timeout: "10s"));
        using var client = server.CreateClient();

        var prefix = Api.UniqueName("storm");
        await Parallel.ForEachAsync(Enumerable.Range(0, Clusters), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, _) => await Api.CreateAsync(client, Probing.Cluster($"{prefix}-{i}", endpoint.ServerAddress, endpoint.CaPem)));

        await Probing.WaitUntilAsync(async () =>
        {
            var list = await Api.ListAsync(client, "");
            return list.GetProperty("items").EnumerateArray()
                .Count(c => Api.Name(c).StartsWith(prefix, StringComparison.Ordinal) && Probing.ConditionStatus(c, "Ready") == "True" && Probing.Pin(c) is not null) == Clusters;
        }, $"all {Clusters} clusters Ready=True", seconds: 240);

        // Counted first, then the revision: a write between the two shows in both.
        var writesBefore = await Probing.MetricAsync(client, "clusterregistry_health_probe_status_writes_total");
        var probesBefore = await Probing.MetricAsync(client, "clusterregistry_health_probe_total");
        var rv = Api.ResourceVersion(await Api.ListAsync(client, "limit=1"));
        await using var watch = await WatchRecorder.OpenAsync(server, $"resourceVersion={rv}&allowWatchBookmarks=false");
        // Three more full rounds of probes.
        await Probing.WaitUntilAsync(async () => await Probing.MetricAsync(client, "clusterregistry_health_probe_total") >= probesBefore + 3 * Clusters,
            "three more rounds of probes", seconds: 240);

        Assert.Equal(writesBefore, await Probing.MetricAsync(client, "clusterregistry_health_probe_status_writes_total"));
        // Every write would have reached this watch before the list below, which reads the latest revision.
        var after = await Api.ListAsync(client, "limit=1");
        Assert.Equal(rv, Api.ResourceVersion(after));
        Assert.Empty(WatchRecorder.ObjectEvents(watch.Events));
        // Sanity: settling took about two writes per cluster (the pin, then the status), not one per probe.
        Assert.InRange(writesBefore, Clusters, 3 * Clusters);
    }
}
