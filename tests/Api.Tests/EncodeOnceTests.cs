using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ClusterRegistry.Tests.Http;

/// <summary>
/// Reads served from the watch cache write each version's bytes encoded once and shared (GET as they are, LIST joined,
/// watch events wrapped). These tests prove those bytes are what a fresh encode of the same version gives — a write's
/// response is encoded from the object just written, never from the cache — and that no earlier version's bytes are
/// served after an update or a delete, in plain JSON and in the Table and PartialObjectMetadata transforms.
/// </summary>
public sealed partial class EncodeOnceTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string TableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io";
    private const string PartialAccept = "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io";
    private const string PartialListAccept = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private HttpClient Client => fixture.Client;

    private static string Patched(string address) =>
        "{\"spec\":{\"kubernetesApiEndpoints\":{\"serverEndpoints\":[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"" + address + "\"}]}}}";

    [Fact]
    public async Task PlainJson_GetListAndWatch_AreTheBytesOfAFreshEncode_AfterUpdateAndDelete()
    {
        var label = Api.UniqueValue();
        var labels = new Dictionary<string, string> { ["encode-once"] = label };
        var (a, b) = (Api.UniqueName("enc-a"), Api.UniqueName("enc-b"));
        await using var watch = await WatchStream.OpenAsync(Client, $"watch=true&labelSelector=encode-once%3D{label}", accept: Api.Json);

        var a1 = await WriteAsync(HttpMethod.Post, Api.Collection, Api.NewCluster(a, labels).ToJsonString(), Api.Json, HttpStatusCode.Created);
        var b1 = await WriteAsync(HttpMethod.Post, Api.Collection, Api.NewCluster(b, labels).ToJsonString(), Api.Json, HttpStatusCode.Created);
        // Read once, so the cache holds (and has encoded) the first versions before they change.
        Assert.Equal(a1, await ReadAsync(Api.Item(a), Api.Json));
        Assert.Equal(b1, await ReadAsync(Api.Item(b), Api.Json));

        var a2 = await WriteAsync(HttpMethod.Patch, Api.Item(a), Patched("10.0.0.2:6443"), Api.MergePatch, HttpStatusCode.OK);
        Assert.Contains("10.0.0.2:6443", a2);
        Assert.Equal(a2, await ReadAsync(Api.Item(a), Api.Json));
        Assert.Equal(a2, await ReadAsync(Api.Item(a) + "?resourceVersion=0", Api.Json, expectAtLeast: Rv(a2)));

        using (var deleted = await Client.DeleteAsync(Api.Item(b))) Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        using (var gone = await Client.GetAsync(Api.Item(b))) Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        var list = JsonDocument.Parse(await ReadAsync($"{Api.Collection}?labelSelector=encode-once%3D{label}", Api.Json)).RootElement;
        Assert.Equal("ClusterList", list.GetProperty("kind").GetString());
        Assert.Equal(new[] { a2 }, list.GetProperty("items").EnumerateArray().Select(i => i.GetRawText()).ToArray());

        var events = new List<(string Type, string Object)>();
        while (events.Count < 4)
        {
            var line = await watch.NextLineAsync(Wait) ?? throw new Xunit.Sdk.XunitException($"watch ended after {events.Count} events");
            var e = JsonDocument.Parse(line).RootElement;
            events.Add((e.GetProperty("type").GetString()!, e.GetProperty("object").GetRawText()));
        }
        Assert.Equal(("ADDED", a1), events[0]);
        Assert.Equal(("ADDED", b1), events[1]);
        Assert.Equal(("MODIFIED", a2), events[2]);
        Assert.Equal("DELETED", events[3].Type);
        // A delete reports the last state at the delete's revision: b's last bytes with only the resourceVersion moved on.
        Assert.NotEqual(Rv(b1), Rv(events[3].Object));
        Assert.Equal(b1.Replace($"\"resourceVersion\":\"{Rv(b1)}\"", $"\"resourceVersion\":\"{Rv(events[3].Object)}\""), events[3].Object);
    }

    [Fact]
    public async Task TableAndPartialMetadata_FollowUpdateAndDelete()
    {
        var label = Api.UniqueValue();
        var labels = new Dictionary<string, string> { ["encode-once"] = label };
        var (a, b) = (Api.UniqueName("enct-a"), Api.UniqueName("enct-b"));
        var selector = $"labelSelector=encode-once%3D{label}";
        await WriteAsync(HttpMethod.Post, Api.Collection, Api.NewCluster(a, labels).ToJsonString(), Api.Json, HttpStatusCode.Created);
        await WriteAsync(HttpMethod.Post, Api.Collection, Api.NewCluster(b, labels).ToJsonString(), Api.Json, HttpStatusCode.Created);
        Assert.Contains("10.0.0.1:6443", await ReadAsync($"{Api.Collection}?{selector}", TableAccept));
        await using var watch = await WatchStream.OpenAsync(Client, $"watch=true&{selector}", accept: TableAccept);
        for (var i = 0; i < 2; i++) Assert.NotNull(await watch.NextLineAsync(Wait)); // the two initial ADDED rows

        var a2 = JsonDocument.Parse(await WriteAsync(HttpMethod.Patch, Api.Item(a), Patched("10.0.0.3:6443"), Api.MergePatch, HttpStatusCode.OK)).RootElement;
        var a2Metadata = a2.GetProperty("metadata").GetRawText();
        using (var deleted = await Client.DeleteAsync(Api.Item(b))) Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);

        var partial = JsonDocument.Parse(await ReadAsync(Api.Item(a), PartialAccept)).RootElement;
        Assert.Equal("PartialObjectMetadata", partial.GetProperty("kind").GetString());
        Assert.Equal(a2Metadata, partial.GetProperty("metadata").GetRawText());

        var partialList = JsonDocument.Parse(await ReadAsync($"{Api.Collection}?{selector}", PartialListAccept)).RootElement;
        Assert.Equal(new[] { a2Metadata }, partialList.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("metadata").GetRawText()).ToArray());

        var table = JsonDocument.Parse(await ReadAsync($"{Api.Collection}?{selector}", TableAccept)).RootElement;
        var rows = table.GetProperty("rows").EnumerateArray().ToArray();
        var row = Assert.Single(rows);
        Assert.Equal(new[] { a, "10.0.0.3:6443", "0.0.0.0/0" }, row.GetProperty("cells").EnumerateArray().Take(3).Select(c => c.GetString()!).ToArray());
        Assert.Equal(a2Metadata, row.GetProperty("object").GetProperty("metadata").GetRawText());

        var modified = JsonDocument.Parse((await watch.NextLineAsync(Wait))!).RootElement;
        Assert.Equal("MODIFIED", modified.GetProperty("type").GetString());
        var modifiedRow = modified.GetProperty("object").GetProperty("rows")[0];
        Assert.Equal("10.0.0.3:6443", modifiedRow.GetProperty("cells")[1].GetString());
        Assert.Equal(a2Metadata, modifiedRow.GetProperty("object").GetProperty("metadata").GetRawText());
        var deletedEvent = JsonDocument.Parse((await watch.NextLineAsync(Wait))!).RootElement;
        Assert.Equal("DELETED", deletedEvent.GetProperty("type").GetString());
        Assert.Equal(b, deletedEvent.GetProperty("object").GetProperty("rows")[0].GetProperty("cells")[0].GetString());
    }

    private static string Rv(string objectJson) => RvPattern().Match(objectJson).Groups[1].Value;

    [GeneratedRegex("\"resourceVersion\":\"([0-9]+)\"")]
    private static partial Regex RvPattern();

    private async Task<string> WriteAsync(HttpMethod method, string path, string body, string contentType, HttpStatusCode expected)
    {
        using var response = await Api.SendAsync(Client, method, path, body, contentType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text;
    }

    /// <summary>The body of a 200 read; with <paramref name="expectAtLeast"/>, retried until the object is that new (resourceVersion=0 may lag).</summary>
    private async Task<string> ReadAsync(string path, string accept, string? expectAtLeast = null)
    {
        using var cts = new CancellationTokenSource(Wait);
        while (true)
        {
            using var response = await Api.SendAsync(Client, HttpMethod.Get, path, accept: accept);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
            if (expectAtLeast is null || long.Parse(Rv(text)) >= long.Parse(expectAtLeast)) return text;
            await Task.Delay(50, cts.Token);
        }
    }
}
