using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using Xunit.Abstractions;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>Two server processes on one etcd (same --etcd-prefix): what one writes the other reads and watches at once.</summary>
[Requires(Prerequisite.Docker)]
public sealed class EtcdReplicaTests(EtcdContainer etcd, ITestOutputHelper output) : IClassFixture<EtcdContainer>, IAsyncLifetime
{
    private ServerProcess _a = null!;
    private ServerProcess _b = null!;
    private HttpClient _ca = null!;
    private HttpClient _cb = null!;

    public async Task InitializeAsync()
    {
        _a = await ServerProcess.StartAsync(null, null, etcd.ServerArgs);
        _b = await ServerProcess.StartAsync(null, null, etcd.ServerArgs);
        _ca = _a.CreateClient();
        _cb = _b.CreateClient();
        _ca.Timeout = _cb.Timeout = TimeSpan.FromSeconds(60);
    }

    public async Task DisposeAsync()
    {
        _ca.Dispose();
        _cb.Dispose();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    [Fact]
    public async Task TwoReplicas_WriteThroughOne_ReadAndWatchedThroughTheOther()
    {
        var list = await Api.ListAsync(_cb, "");
        var rv = list.GetProperty("metadata").GetProperty("resourceVersion").GetString();
        await using var watch = await RawWatch.OpenAsync(_cb, $"resourceVersion={rv}");

        var name = Api.UniqueName("erep");
        var created = await Api.CreateAsync(_ca, name);
        // Immediately (no retry) readable through the other replica, at the same resourceVersion.
        var read = await Api.GetAsync(_cb, name);
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(read));
        var listed = await Api.ListAsync(_cb, "");
        Assert.Contains(listed.GetProperty("items").EnumerateArray(),
            i => Api.Name(i) == name && Api.ResourceVersion(i) == Api.ResourceVersion(created));

        var patched = await Api.PatchAsync(_ca, Api.Item(name), """{"metadata":{"labels":{"step":"two"}}}""");
        var readPatched = await Api.GetAsync(_cb, name);
        Assert.Equal(Api.ResourceVersion(patched), Api.ResourceVersion(readPatched));
        Assert.Equal("two", Api.Label(readPatched, "step"));

        using var deleted = await Api.SendAsync(_ca, HttpMethod.Delete, Api.Item(name));
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        await Api.AssertAbsentAsync(_cb, name);

        var events = new List<(string Type, string Rv)>();
        while (events.Count < 3 && await watch.NextAsync(TimeSpan.FromSeconds(20)) is { } e)
        {
            var type = e.GetProperty("type").GetString()!;
            if (type is "BOOKMARK") continue;
            Assert.NotEqual("ERROR", type);
            Assert.Equal(name, Api.Name(e.GetProperty("object")));
            events.Add((type, Api.ResourceVersion(e.GetProperty("object"))));
        }
        output.WriteLine("watched through the other replica: " + string.Join(", ", events.Select(e => $"{e.Type}@{e.Rv}")));
        Assert.Equal(["ADDED", "MODIFIED", "DELETED"], events.Select(e => e.Type));
        Assert.Equal(Api.ResourceVersion(created), events[0].Rv);
        Assert.Equal(Api.ResourceVersion(patched), events[1].Rv);
        Assert.True(long.Parse(events[2].Rv) > long.Parse(events[1].Rv), "the DELETED event's resourceVersion must follow the MODIFIED one");
    }

    [Fact]
    public async Task EightWriters_TwoReplicas_EveryAcknowledgedWriteWatchedOnBothInOrderOnce()
    {
        var name = Api.UniqueName("ecas");
        var created = await Api.CreateAsync(_ca, name);
        var query = $"resourceVersion={Api.ResourceVersion(created)}&fieldSelector=metadata.name%3D{name}";
        await using var watchA = await RawWatch.OpenAsync(_ca, query);
        await using var watchB = await RawWatch.OpenAsync(_cb, query);

        const int writers = 8, writesEach = 5;
        var acknowledged = new ConcurrentBag<(long Rv, string Value)>();
        var conflicts = 0;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(async w =>
        {
            var client = w % 2 == 0 ? _ca : _cb;
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
            output.WriteLine($"replica {label}: {expected.Count} acknowledged writes, {seen.Count} watched");
            Assert.Equal(expected, seen);
        }
        output.WriteLine($"{conflicts} conflicts retried");
        Assert.True(expected.Zip(expected.Skip(1)).All(p => p.First.Rv < p.Second.Rv), "two acknowledged writes share a resourceVersion");
    }
}
