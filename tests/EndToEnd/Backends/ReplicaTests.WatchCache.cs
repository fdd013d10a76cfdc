using System.Text.Json;
using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>
/// The replicas' watch caches: a write acknowledged by one replica is seen at once by a consistent GET and LIST (no
/// resourceVersion) through the other, which reaches the other replica's cache only through its upstream watch; a
/// list with resourceVersion=0 is served from memory and is never older than what the same client saw before.
/// </summary>
public abstract partial class ReplicaTests<TStore>
{
    [Fact]
    public async Task WriteThroughOneReplica_ConsistentGetAndListThroughTheOther_SeeItAtOnce()
    {
        var name = Api.UniqueName("wcr");
        await Api.CreateAsync(A, name);
        for (var i = 0; i < 30; i++)
        {
            var written = await Api.PatchAsync(A, Api.Item(name), "{\"metadata\":{\"labels\":{\"step\":\"" + i + "\"}}}");
            var rv = long.Parse(Api.ResourceVersion(written));

            var read = await Api.GetAsync(B, name);
            Assert.Equal((rv.ToString(), i.ToString()), (Api.ResourceVersion(read), Api.Label(read, "step")));

            var list = await Api.ListAsync(B, $"labelSelector=step%3D{i}");
            Assert.True(long.Parse(list.GetProperty("metadata").GetProperty("resourceVersion").GetString()!) >= rv);
            Assert.Contains(list.GetProperty("items").EnumerateArray(), o => Api.Name(o) == name && Api.ResourceVersion(o) == rv.ToString());

            // resourceVersion=0 ("any") may be served older than the write; the other replica's cache catches up with
            // it through its upstream watch, so such a list reaches the write's revision soon (waited for, bounded).
            await AnyListReachesAsync(B, rv);
        }
    }

    private static async Task AnyListReachesAsync(HttpClient client, long revision)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        long seen;
        while ((seen = long.Parse((await Api.ListAsync(client, "resourceVersion=0")).GetProperty("metadata").GetProperty("resourceVersion").GetString()!)) < revision
               && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.True(seen >= revision, $"a resourceVersion=0 list stayed at {seen}, below the write at {revision}, for 30 s");
    }

    [Fact]
    public async Task WatchCacheOff_WriteThroughOneReplica_ReadThroughTheOther()
    {
        await using var uncached = await ServerProcess.StartAsync(null, null, [.. Store.ServerArgs, "--watch-cache=false"]);
        using var client = uncached.CreateClient();
        var name = Api.UniqueName("wco");
        var created = await Api.CreateAsync(A, name);
        var (gets, lists) = await StoreReadsAsync(client);
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(await Api.GetAsync(client, name)));
        var list = await Api.ListAsync(client, "resourceVersion=0");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), (JsonElement o) => Api.Name(o) == name);
        // Without the cache both reads went to the store (with it, neither would have).
        var (getsAfter, listsAfter) = await StoreReadsAsync(client);
        Assert.True(getsAfter > gets && listsAfter > lists, $"store gets {gets} -> {getsAfter}, lists {lists} -> {listsAfter}");
    }

    /// <summary>How many gets and lists the server has sent its store (etcd_requests_total, as kube-apiserver counts them).</summary>
    private static async Task<(double Gets, double Lists)> StoreReadsAsync(HttpClient client)
    {
        var text = await client.GetStringAsync("/metrics");
        double Sum(string operation) => text.Split('\n')
            .Where(line => line.StartsWith("etcd_requests_total{", StringComparison.Ordinal) && line.Contains($"operation=\"{operation}\"", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        return (Sum("get"), Sum("list"));
    }
}
