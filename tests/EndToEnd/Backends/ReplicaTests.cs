using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using ClusterRegistry.Tests.EndToEnd.Http;
using Xunit.Abstractions;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>
/// Two server processes on one store (<see cref="ReplicaPair"/>, started afresh for each test): what one writes the
/// other reads and watches at once, concurrent writers through both, and their watch caches (ReplicaTests.WatchCache.cs).
/// Each backend that replicas can share runs the whole suite.
/// </summary>
public abstract partial class ReplicaTests<TStore>(TStore store, ITestOutputHelper output) : IAsyncLifetime
    where TStore : IStoreBackend
{
    private ReplicaPair _pair = null!;

    protected TStore Store => store;
    protected ITestOutputHelper Output => output;
    protected HttpClient A => _pair.A;
    protected HttpClient B => _pair.B;

    /// <summary>How many concurrent writers the concurrency test runs, half through each replica.</summary>
    protected abstract int Writers { get; }

    public async Task InitializeAsync() => _pair = await ReplicaPair.StartAsync(store.ServerArgs);

    public async Task DisposeAsync() => await _pair.DisposeAsync();

    [Fact]
    public async Task TwoReplicas_WriteThroughOne_ReadAndWatchedThroughTheOther()
    {
        var list = await Api.ListAsync(B, "");
        var rv = list.GetProperty("metadata").GetProperty("resourceVersion").GetString();
        await using var watch = await RawWatch.OpenAsync(B, $"resourceVersion={rv}");

        var name = Api.UniqueName("rep");
        var created = await Api.CreateAsync(A, name);
        // Immediately (no retry) readable through the other replica, at the same resourceVersion.
        var read = await Api.GetAsync(B, name);
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(read));
        var listed = await Api.ListAsync(B, "");
        Assert.Contains(listed.GetProperty("items").EnumerateArray(),
            i => Api.Name(i) == name && Api.ResourceVersion(i) == Api.ResourceVersion(created));

        var patched = await Api.PatchAsync(A, Api.Item(name), """{"metadata":{"labels":{"step":"two"}}}""");
        var readPatched = await Api.GetAsync(B, name);
        Assert.Equal(Api.ResourceVersion(patched), Api.ResourceVersion(readPatched));
        Assert.Equal("two", Api.Label(readPatched, "step"));

        using var deleted = await Api.SendAsync(A, HttpMethod.Delete, Api.Item(name));
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        await Api.AssertAbsentAsync(B, name);

        var events = new List<(string Type, string Rv)>();
        while (events.Count < 3 && await watch.NextAsync(TimeSpan.FromSeconds(20)) is { } e)
        {
            var type = e.GetProperty("type").GetString()!;
            if (type is "BOOKMARK") continue;
            Assert.NotEqual("ERROR", type);
            Assert.Equal(name, Api.Name(e.GetProperty("object")));
            events.Add((type, Api.ResourceVersion(e.GetProperty("object"))));
        }
        Output.WriteLine("watched through the other replica: " + string.Join(", ", events.Select(e => $"{e.Type}@{e.Rv}")));
        Assert.Equal(["ADDED", "MODIFIED", "DELETED"], events.Select(e => e.Type));
        Assert.Equal(Api.ResourceVersion(created), events[0].Rv);
        Assert.Equal(Api.ResourceVersion(patched), events[1].Rv);
        Assert.True(long.Parse(events[2].Rv) > long.Parse(events[1].Rv), "the DELETED event's resourceVersion must follow the MODIFIED one");
    }

    [Fact]
    public async Task ConcurrentWriters_TwoReplicas_EveryAcknowledgedWriteWatchedOnBothInOrderOnce()
    {
        var name = Api.UniqueName("cas");
        var created = await Api.CreateAsync(A, name);
        var query = $"resourceVersion={Api.ResourceVersion(created)}&fieldSelector=metadata.name%3D{name}";
        await using var watchA = await RawWatch.OpenAsync(A, query);
        await using var watchB = await RawWatch.OpenAsync(B, query);

        var writers = Writers;
        const int writesEach = 5;
        var acknowledged = new ConcurrentBag<(long Rv, string Value)>();
        var conflicts = 0;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(async w =>
        {
            var client = w % 2 == 0 ? A : B;
            for (var i = 0; i < writesEach; i++)
            {
                for (var attempt = 0; ; attempt++)
                {
                    Assert.True(attempt < 200, "too many conflicts for one writer");
                    var current = JsonNode.Parse((await Api.GetAsync(client, name)).GetRawText())!;
                    var value = $"w{w}-{i}";
                    current["metadata"]!["annotations"] = new JsonObject { ["writer"] = value };
                    using var response = await client.PutAsync(Api.Item(name), Api.Body(current));
                    if (response.StatusCode == HttpStatusCode.Conflict)
                    {
                        Interlocked.Increment(ref conflicts);
                        continue;
                    }
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    var stored = await Api.ReadJsonAsync(response);
                    acknowledged.Add((long.Parse(Api.ResourceVersion(stored)), value));
                    break;
                }
            }
        }));
        Assert.Equal(writers * writesEach, acknowledged.Count);
        var expected = acknowledged.OrderBy(a => a.Rv).ToList();

        foreach (var (label, watch) in new[] { ("A", watchA), ("B", watchB) })
        {
            var seen = new List<(long Rv, string Value)>();
            while (seen.Count < expected.Count && await watch.NextAsync(TimeSpan.FromSeconds(30)) is { } e)
            {
                Assert.NotEqual("ERROR", e.GetProperty("type").GetString());
                if (e.GetProperty("type").GetString() != "MODIFIED") continue;
                var meta = e.GetProperty("object").GetProperty("metadata");
                seen.Add((long.Parse(meta.GetProperty("resourceVersion").GetString()!), meta.GetProperty("annotations").GetProperty("writer").GetString()!));
            }
            Output.WriteLine($"replica {label}: {expected.Count} acknowledged writes, {seen.Count} watched");
            Assert.Equal(expected, seen);
        }
        Output.WriteLine($"{conflicts} conflicts retried");
        Assert.True(expected.Zip(expected.Skip(1)).All(p => p.First.Rv < p.Second.Rv), "two acknowledged writes share a resourceVersion");
    }
}

[Requires(Prerequisite.Docker)]
public sealed class EtcdReplicaTests(EtcdContainer etcd, ITestOutputHelper output)
    : ReplicaTests<EtcdContainer>(etcd, output), IClassFixture<EtcdContainer>
{
    protected override int Writers => 8;
}
