using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ClusterRegistry.Tests.EndToEnd.Http;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ClusterRegistry.Tests.EndToEnd.Client;

/// <summary>The official C# KubernetesClient (v21) against the real server, from the generated kubeconfig (HTTP/2 by default).</summary>
public sealed class CSharpClientTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private const string G = Api.Group;
    private const string V = Api.Version;
    private const string P = Api.Plural;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly Kubernetes _client = new(KubernetesClientConfiguration.BuildConfigFromConfigFile(fixture.Server.Kubeconfig));

    public void Dispose() => _client.Dispose();

    private static JsonElement J(object o) => o is JsonElement e ? e : JsonSerializer.SerializeToElement(o);

    private static JsonObject Cluster(string name, string label) =>
        Api.NewCluster(name, new Dictionary<string, string> { ["cs"] = label });

    private static string Address(JsonElement o) => Api.FirstServerAddress(o);

    /// <summary>The next non-bookmark event, waiting at most 30 s.</summary>
    private static async Task<(WatchEventType Type, JsonElement Object)> NextAsync(
        ChannelReader<(WatchEventType Type, JsonElement Object)> reader, List<Exception> errors)
    {
        while (true)
        {
            using var wait = new CancellationTokenSource(Wait);
            try
            {
                var e = await reader.ReadAsync(wait.Token);
                if (e.Type != WatchEventType.Bookmark) return e;
            }
            catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
            {
                string errs;
                lock (errors) errs = string.Join("; ", errors);
                throw new Xunit.Sdk.XunitException($"no watch event within {Wait.TotalSeconds}s or the watch ended; errors: {errs}");
            }
        }
    }

    [Fact]
    public async Task CustomObjects_CreateGetReplaceDelete_RoundTrips()
    {
        var name = Api.UniqueName("cs-crud");
        var created = J(await _client.CustomObjects.CreateClusterCustomObjectAsync(Cluster(name, "crud"), G, V, P));
        Assert.Equal(name, Api.Name(created));
        Assert.Equal(1, Api.Generation(created));

        var got = J(await _client.CustomObjects.GetClusterCustomObjectAsync(G, V, P, name));
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(got));

        var replacement = JsonNode.Parse(got.GetRawText())!.AsObject();
        replacement["spec"]!["kubernetesApiEndpoints"]!["serverEndpoints"]![0]!["serverAddress"] = "10.20.30.40:6443";
        var replaced = J(await _client.CustomObjects.ReplaceClusterCustomObjectAsync(replacement, G, V, P, name));
        Assert.Equal("10.20.30.40:6443", Address(replaced));
        Assert.Equal(2, Api.Generation(replaced));

        var deleted = J(await _client.CustomObjects.DeleteClusterCustomObjectAsync(G, V, P, name, new V1DeleteOptions { PropagationPolicy = "Background" }));
        Assert.Equal("Status", deleted.GetProperty("kind").GetString());
        Assert.Equal("Success", deleted.GetProperty("status").GetString());

        var ex = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CustomObjects.GetClusterCustomObjectAsync(G, V, P, name));
        Assert.Equal(HttpStatusCode.NotFound, ex.Response.StatusCode);
        var status = JsonDocument.Parse(ex.Response.Content).RootElement;
        Assert.Equal("NotFound", status.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task CustomObjects_ReplaceWithStaleResourceVersion_ThrowsConflict()
    {
        var name = Api.UniqueName("cs-conf");
        var created = J(await _client.CustomObjects.CreateClusterCustomObjectAsync(Cluster(name, "conf"), G, V, P));
        await _client.CustomObjects.PatchClusterCustomObjectAsync(new V1Patch("{\"metadata\":{\"labels\":{\"bump\":\"1\"}}}", V1Patch.PatchType.MergePatch), G, V, P, name);

        var stale = JsonNode.Parse(created.GetRawText())!.AsObject();
        var ex = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CustomObjects.ReplaceClusterCustomObjectAsync(stale, G, V, P, name));

        Assert.Equal(HttpStatusCode.Conflict, ex.Response.StatusCode);
        Assert.Equal("Conflict", JsonDocument.Parse(ex.Response.Content).RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task CustomObjects_ListWithLabelSelector_ReturnsOnlyMatching()
    {
        var label = Api.UniqueValue();
        var mine = new[] { Api.UniqueName("cs-list"), Api.UniqueName("cs-list") };
        foreach (var n in mine) await _client.CustomObjects.CreateClusterCustomObjectAsync(Cluster(n, label), G, V, P);
        await _client.CustomObjects.CreateClusterCustomObjectAsync(Cluster(Api.UniqueName("cs-list"), "other"), G, V, P);

        var list = J(await _client.CustomObjects.ListClusterCustomObjectAsync(G, V, P, labelSelector: $"cs={label}"));

        Assert.Equal("ClusterList", list.GetProperty("kind").GetString());
        Assert.Equal(mine.Order(), list.GetProperty("items").EnumerateArray().Select(Api.Name).Order());
        Assert.False(string.IsNullOrEmpty(list.GetProperty("metadata").GetProperty("resourceVersion").GetString()));
    }

    [Fact]
    public async Task CustomObjects_ListEmptySelection_ReturnsEmptyItems()
    {
        var list = J(await _client.CustomObjects.ListClusterCustomObjectAsync(G, V, P, labelSelector: $"cs={Api.UniqueValue()}"));
        Assert.Equal(JsonValueKind.Array, list.GetProperty("items").ValueKind);
        Assert.Equal(0, list.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task CustomObjects_MergePatch_ChangesLabels()
    {
        var name = Api.UniqueName("cs-merge");
        await _client.CustomObjects.CreateClusterCustomObjectAsync(Cluster(name, "merge"), G, V, P);

        var patched = J(await _client.CustomObjects.PatchClusterCustomObjectAsync(
            new V1Patch("{\"metadata\":{\"labels\":{\"env\":\"prod\"}}}", V1Patch.PatchType.MergePatch), G, V, P, name));

        Assert.Equal("prod", Api.Label(patched, "env"));
        Assert.Equal("merge", Api.Label(patched, "cs"));
    }

    [Fact]
    public async Task CustomObjects_JsonPatch_ReplacesServerAddress()
    {
        var name = Api.UniqueName("cs-jp");
        await _client.CustomObjects.CreateClusterCustomObjectAsync(Cluster(name, "jp"), G, V, P);

        var patched = J(await _client.CustomObjects.PatchClusterCustomObjectAsync(
            new V1Patch("[{\"op\":\"replace\",\"path\":\"/spec/kubernetesApiEndpoints/serverEndpoints/0/serverAddress\",\"value\":\"10.9.8.7:443\"}]",
                V1Patch.PatchType.JsonPatch), G, V, P, name));

        Assert.Equal("10.9.8.7:443", Address(patched));
        Assert.Equal("10.9.8.7:443", Address(J(await _client.CustomObjects.GetClusterCustomObjectAsync(G, V, P, name))));
    }

    /// <summary>The server implements (and OpenAPI advertises) strategic merge patch, so the client's SMP works.</summary>
    [Fact]
    public async Task CustomObjects_StrategicMergePatch_ChangesLabels()
    {
        var name = Api.UniqueName("cs-smp");
        await _client.CustomObjects.CreateClusterCustomObjectAsync(Cluster(name, "smp"), G, V, P);
        var patched = J(await _client.CustomObjects.PatchClusterCustomObjectAsync(
            new V1Patch("{\"metadata\":{\"labels\":{\"x\":\"y\"}}}", V1Patch.PatchType.StrategicMergePatch), G, V, P, name));
        Assert.Equal("y", Api.Label(patched, "x"));
        Assert.Equal("smp", Api.Label(patched, "cs"));
    }

    [Fact]
    public async Task CustomObjects_PatchStatus_SetsConditionsOnly()
    {
        var name = Api.UniqueName("cs-status");
        await _client.CustomObjects.CreateClusterCustomObjectAsync(Cluster(name, "status"), G, V, P);

        var patched = J(await _client.CustomObjects.PatchClusterCustomObjectStatusAsync(
            new V1Patch("{\"metadata\":{\"labels\":{\"cs\":\"changed\"}},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Probed\",\"message\":\"ok\"}]}}",
                V1Patch.PatchType.MergePatch), G, V, P, name));

        var condition = patched.GetProperty("status").GetProperty("conditions")[0];
        Assert.Equal(("Ready", "True"), (condition.GetProperty("type").GetString(), condition.GetProperty("status").GetString()));
        Assert.Equal("status", Api.Label(patched, "cs"));
        Assert.Equal(1, Api.Generation(patched));
    }

    [Fact]
    public async Task CustomObjects_DeleteCollection_DeletesSelected()
    {
        var label = Api.UniqueValue();
        var doomed = new[] { Api.UniqueName("cs-dc"), Api.UniqueName("cs-dc") };
        var kept = Api.UniqueName("cs-dc");
        foreach (var n in doomed) await _client.CustomObjects.CreateClusterCustomObjectAsync(Cluster(n, label), G, V, P);
        await _client.CustomObjects.CreateClusterCustomObjectAsync(Cluster(kept, label + "x"), G, V, P);

        var result = J(await _client.CustomObjects.DeleteCollectionClusterCustomObjectAsync(G, V, P, new V1DeleteOptions(), labelSelector: $"cs={label}"));

        Assert.Equal(doomed.Order(), result.GetProperty("items").EnumerateArray().Select(Api.Name).Order());
        var remaining = J(await _client.CustomObjects.ListClusterCustomObjectAsync(G, V, P, labelSelector: $"cs in ({label},{label}x)"));
        Assert.Equal([kept], remaining.GetProperty("items").EnumerateArray().Select(Api.Name).ToArray());
    }

    [Fact]
    public async Task CustomObjects_CreateInvalidName_ThrowsWith422Status()
    {
        var ex = await Assert.ThrowsAsync<HttpOperationException>(() =>
            _client.CustomObjects.CreateClusterCustomObjectAsync(Cluster("Bad_Name", "bad"), G, V, P));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, ex.Response.StatusCode);
        var status = JsonDocument.Parse(ex.Response.Content).RootElement;
        Assert.Equal("Invalid", status.GetProperty("reason").GetString());
        Assert.Equal("metadata.name", status.GetProperty("details").GetProperty("causes")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task WatchListClusterCustomObjectAsync_ReceivesAddedModifiedDeleted()
    {
        var label = Api.UniqueValue();
        var name = Api.UniqueName("cs-watch");
        var rv = Api.ResourceVersion(J(await _client.CustomObjects.ListClusterCustomObjectAsync(G, V, P, labelSelector: $"cs={label}")));
        var events = Channel.CreateUnbounded<(WatchEventType Type, JsonElement Object)>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var errors = new List<Exception>();

        var pump = Task.Run(async () =>
        {
            try
            {
                await foreach (var (type, obj) in _client.CustomObjects.WatchListClusterCustomObjectAsync(
                                   G, V, P, labelSelector: $"cs={label}", resourceVersion: rv, timeoutSeconds: 60,
                                   onError: e => { lock (errors) errors.Add(e); }, cancellationToken: cts.Token))
                    await events.Writer.WriteAsync((type, J(obj)));
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                events.Writer.TryComplete();
            }
        });

        await _client.CustomObjects.CreateClusterCustomObjectAsync(Cluster(name, label), G, V, P);
        await _client.CustomObjects.PatchClusterCustomObjectAsync(
            new V1Patch("{\"metadata\":{\"annotations\":{\"step\":\"2\"}}}", V1Patch.PatchType.MergePatch), G, V, P, name);
        await _client.CustomObjects.DeleteClusterCustomObjectAsync(G, V, P, name);

        var received = new List<(WatchEventType Type, JsonElement Object)>();
        while (received.Count < 3) received.Add(await NextAsync(events.Reader, errors));
        await cts.CancelAsync();
        await pump;

        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted], received.Select(e => e.Type).ToArray());
        Assert.All(received, e => Assert.Equal(name, Api.Name(e.Object)));
        Assert.Equal("2", received[1].Object.GetProperty("metadata").GetProperty("annotations").GetProperty("step").GetString());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task ListWithHttpMessagesWatch_WatchExtension_ReceivesSyntheticAddedThenModified()
    {
        var label = Api.UniqueValue();
        var name = Api.UniqueName("cs-watch2");
        await _client.CustomObjects.CreateClusterCustomObjectAsync(Cluster(name, label), G, V, P);

        var events = Channel.CreateUnbounded<(WatchEventType Type, JsonElement Object)>();
        var errors = new List<Exception>();
        // The client reads the first line before the call returns: an object already exists, so the synthetic ADDED arrives at once.
        using var start = new CancellationTokenSource(Wait);
        using var response = await _client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync(
            G, V, P, labelSelector: $"cs={label}", watch: true, timeoutSeconds: 60, cancellationToken: start.Token);
        // The callback Watcher API is marked obsolete in v21 but is what most existing C# code (and the client's own docs) use.
#pragma warning disable CS0618
        using var watcher = response.Watch<JsonElement, object>(
            (type, obj) => events.Writer.TryWrite((type, obj)),
            e => { lock (errors) errors.Add(e); },
            () => events.Writer.TryComplete());
#pragma warning restore CS0618

        var added = await NextAsync(events.Reader, errors);
        Assert.Equal((WatchEventType.Added, name), (added.Type, Api.Name(added.Object)));

        await _client.CustomObjects.PatchClusterCustomObjectAsync(
            new V1Patch("{\"metadata\":{\"labels\":{\"extra\":\"1\"}}}", V1Patch.PatchType.MergePatch), G, V, P, name);
        var modified = await NextAsync(events.Reader, errors);
        Assert.Equal((WatchEventType.Modified, name), (modified.Type, Api.Name(modified.Object)));
        Assert.Equal("1", Api.Label(modified.Object, "extra"));
        Assert.Empty(errors);
    }
}
