using ClusterRegistry.Tests.EndToEnd.Backends;
using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.HealthProbing;

/// <summary>
/// Two server processes on one store: exactly one holds the prober's lease; when it is killed (SIGKILL, so it
/// releases nothing), the other takes the lease once it expires and carries on probing.
/// </summary>
public abstract class ProberFailoverTests(IStoreBackend store)
{
    [Fact]
    public async Task HolderKilled_TheOtherReplicaTakesTheLeaseAndProbes()
    {
        await using var endpoint = await FakeClusterEndpoint.StartAsync();
        string[] args = [.. store.ServerArgs, .. Probing.Flags("127.0.0.1/32", failureThreshold: 1, successThreshold: 1, lease: "3s")];
        await using var a = await ServerProcess.StartAsync(null, null, args);
        await using var b = await ServerProcess.StartAsync(null, null, args);
        using var ca = a.CreateClient();
        using var cb = b.CreateClient();

        async Task<(double A, double B)> HeldAsync() =>
            (await Probing.MetricAsync(ca, "clusterregistry_health_probe_lease_held"), await Probing.MetricAsync(cb, "clusterregistry_health_probe_lease_held"));
        await Probing.WaitUntilAsync(async () => await HeldAsync() is (1, 0) or (0, 1), "one replica holding the lease");
        var (heldByA, _) = await HeldAsync();
        var (holder, other, otherClient) = heldByA == 1 ? (a, b, cb) : (b, a, ca);

        var name = Api.UniqueName("failover");
        await Api.CreateAsync(otherClient, Probing.Cluster(name, endpoint.ServerAddress, endpoint.CaPem));
        await Probing.WaitForAsync(otherClient, name, c => Probing.ConditionStatus(c, "Ready") == "True", "Ready=True");
        // Still only one: the other never took the lease while the holder renewed it.
        Assert.Equal(0, await Probing.MetricAsync(otherClient, "clusterregistry_health_probe_lease_held"));

        await holder.KillAsync();
        await Probing.WaitUntilAsync(async () => await Probing.MetricAsync(otherClient, "clusterregistry_health_probe_lease_held") == 1,
            "the surviving replica holding the lease");

        // The survivor probes: a failing endpoint is reported by it alone.
        endpoint.Failing = true;
        var cluster = await Probing.WaitForAsync(otherClient, name, c => Probing.ConditionStatus(c, "Ready") == "False", "Ready=False");
        Assert.Equal("EndpointNotReady", Probing.Reason(cluster, "Ready"));
        Assert.True(await Probing.MetricAsync(otherClient, "clusterregistry_health_probe_status_writes_total") >= 1);
    }
}

[Requires(Prerequisite.Docker)]
public sealed class EtcdProberFailoverTests(EtcdContainer etcd) : ProberFailoverTests(etcd), IClassFixture<EtcdContainer>;

[Requires(Prerequisite.Docker)]
public sealed class PostgresProberFailoverTests(PostgresContainer postgres) : ProberFailoverTests(postgres), IClassFixture<PostgresContainer>;
