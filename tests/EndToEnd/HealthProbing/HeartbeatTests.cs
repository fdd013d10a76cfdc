using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.HealthProbing;

/// <summary>An unchanged status is still rewritten once per heartbeat interval: lastHeartbeatTime moves, lastTransitionTime does not.</summary>
public sealed class HeartbeatTests
{
    [Fact]
    public async Task SteadyReadyCluster_HeartbeatAdvances_TransitionTimeKept()
    {
        await using var endpoint = await FakeClusterEndpoint.StartAsync();
        await using var server = await ServerProcess.StartAsync(null, null, Probing.Flags("127.0.0.1/32", heartbeat: "2s"));
        using var client = server.CreateClient();
        var name = Api.UniqueName("heartbeat");
        await Api.CreateAsync(client, Probing.Cluster(name, endpoint.ServerAddress, endpoint.CaPem));

        var ready = await Probing.WaitForAsync(client, name, c => Probing.ConditionStatus(c, "Ready") == "True", "Ready=True");
        var condition = Probing.Condition(ready, "Ready")!.Value;
        var heartbeat = condition.GetProperty("lastHeartbeatTime").GetDateTimeOffset();
        var transition = condition.GetProperty("lastTransitionTime").GetString();

        var later = await Probing.WaitForAsync(client, name,
            c => Probing.Condition(c, "Ready")!.Value.GetProperty("lastHeartbeatTime").GetDateTimeOffset() > heartbeat, "a later heartbeat");
        var next = Probing.Condition(later, "Ready")!.Value;
        Assert.Equal("True", next.GetProperty("status").GetString());
        Assert.Equal(transition, next.GetProperty("lastTransitionTime").GetString());
    }
}
