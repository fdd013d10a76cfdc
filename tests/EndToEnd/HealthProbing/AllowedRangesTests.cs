using System.Net;
using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.HealthProbing;

/// <summary>
/// Only 127.0.0.2/32 is allowed. An endpoint at 127.0.0.2 is probed (the control: the prober is running); one at
/// 127.0.0.1, registered by address and by the name <c>localhost</c> (which resolves to 127.0.0.1 and ::1), is never
/// connected to, as a listener that counts accepted TCP connections shows; and a server without the flag probes nothing.
/// </summary>
public sealed class AllowedRangesTests
{
    [Fact]
    public async Task AddressesOutsideTheAllowedRanges_AlsoAfterResolution_AreNeverContacted()
    {
        await using var allowed = await FakeClusterEndpoint.StartAsync(IPAddress.Parse("127.0.0.2"));
        await using var outside = await FakeClusterEndpoint.StartAsync(IPAddress.Loopback, allowed.Ca);
        await using var server = await ServerProcess.StartAsync(null, null, Probing.Flags("127.0.0.2/32"));
        using var client = server.CreateClient();

        var control = Api.UniqueName("in-range");
        var byAddress = Api.UniqueName("out-ip");
        var byName = Api.UniqueName("out-dns");
        await Api.CreateAsync(client, Probing.Cluster(byAddress, outside.ServerAddress, outside.CaPem));
        await Api.CreateAsync(client, Probing.Cluster(byName, $"localhost:{outside.Port}", outside.CaPem));
        await Api.CreateAsync(client, Probing.Cluster(control, allowed.ServerAddress, allowed.CaPem));

        await Probing.WaitForAsync(client, control, c => Probing.ConditionStatus(c, "Ready") == "True", "Ready=True on the allowed endpoint");
        // Each refused cluster has been considered (and skipped) several times since.
        await Probing.WaitUntilAsync(async () =>
            await Probing.MetricAsync(client, "clusterregistry_health_probe_skipped_total", "reason=\"address_not_allowed\"") >= 10,
            "ten skips for addresses outside the ranges");

        Assert.Equal(0, outside.Connections);
        Assert.True(allowed.Connections > 0);
        foreach (var name in new[] { byAddress, byName })
        {
            var cluster = await Api.GetAsync(client, name);
            Assert.False(Api.HasStatus(cluster), $"{name} got a status: {cluster}");
            Assert.Null(Probing.Pin(cluster));
        }
    }

    [Fact]
    public async Task WithoutAllowedRanges_NothingIsProbed()
    {
        await using var endpoint = await FakeClusterEndpoint.StartAsync();
        // Everything else as a probing server would have it, but no --health-probe-allowed-cidrs.
        await using var server = await ServerProcess.StartAsync(null, null, Probing.Flags("")[2..]);
        using var client = server.CreateClient();
        var name = Api.UniqueName("off");
        await Api.CreateAsync(client, Probing.Cluster(name, endpoint.ServerAddress, endpoint.CaPem));

        // The control: the same flags with the range allowed probe their own endpoint several times meanwhile.
        await using var controlEndpoint = await FakeClusterEndpoint.StartAsync();
        await using var control = await ServerProcess.StartAsync(null, null, Probing.Flags("127.0.0.0/8"));
        using var controlClient = control.CreateClient();
        await Api.CreateAsync(controlClient, Probing.Cluster(Api.UniqueName("on"), controlEndpoint.ServerAddress, controlEndpoint.CaPem));
        await Probing.WaitUntilAsync(() => Task.FromResult(controlEndpoint.ReadyzOk >= 5), "five probes by the control server");

        // No prober is registered at all: its series (always exported when it runs) are absent.
        var metrics = await client.GetStringAsync("/metrics");
        Assert.DoesNotContain("clusterregistry_health_probe_lease_held", metrics);
        Assert.Equal(0, endpoint.Connections);
        Assert.False(Api.HasStatus(await Api.GetAsync(client, name)));
    }
}
