using System.Net;
using System.Text.Json;

namespace ClusterRegistry.Tests.Http;

/// <summary>Raw HTTP watches: wire format, start points, bookmarks, selectors, and timeouts (a watcher that never reads: EndToEnd/Http/SlowWatcherTests).</summary>
public sealed class WatchTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly HttpClient _http = fixture.Client;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static Dictionary<string, string> Label(string key, string value) => new() { [key] = value };

    private static string Type(JsonElement e) => e.GetProperty("type").GetString()!;

    private static string ObjName(JsonElement e) => Api.Name(e.GetProperty("object"));

    private async Task<string> ListResourceVersionAsync(string selector) =>
        Api.ResourceVersion(await Api.ListAsync(_http, "labelSelector=" + Api.Enc(selector)));

    [Fact]
    public async Task Watch_FromListResourceVersion_StreamsAddedModifiedDeletedInOrder()
    {
        var sel = Api.UniqueValue();
        var rv = await ListResourceVersionAsync($"w={sel}");
        await using var watch = await WatchStream.OpenAsync(_http, $"watch=true&resourceVersion={rv}&labelSelector=w%3D{sel}&timeoutSeconds=60");
        Assert.Equal(Api.Json, watch.Response.Content.Headers.ContentType?.MediaType);

        var name = Api.UniqueName("wevt");
        var created = await Api.CreateAsync(_http, name, Label("w", sel));
        var patched = await Api.PatchAsync(_http, Api.Item(name), "{\"metadata\":{\"annotations\":{\"step\":\"2\"}}}");
        using (var del = await _http.DeleteAsync(Api.Item(name))) Assert.Equal(HttpStatusCode.OK, del.StatusCode);

        var added = await watch.NextNonBookmarkAsync(Wait);
        var modified = await watch.NextNonBookmarkAsync(Wait);
        var deleted = await watch.NextNonBookmarkAsync(Wait);

        Assert.Equal(["ADDED", "MODIFIED", "DELETED"], new[] { Type(added), Type(modified), Type(deleted) });
        foreach (var e in new[] { added, modified, deleted })
        {
            var obj = e.GetProperty("object");
            Assert.Equal(name, Api.Name(obj));
            Assert.Equal("Cluster", obj.GetProperty("kind").GetString());
            Assert.Equal(Api.ApiVersion, obj.GetProperty("apiVersion").GetString());
        }
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(added.GetProperty("object")));
        Assert.Equal(Api.ResourceVersion(patched), Api.ResourceVersion(modified.GetProperty("object")));
        Assert.Equal("2", modified.GetProperty("object").GetProperty("metadata").GetProperty("annotations").GetProperty("step").GetString());
        // DELETED carries the last state.
        Assert.Equal("2", deleted.GetProperty("object").GetProperty("metadata").GetProperty("annotations").GetProperty("step").GetString());
        // Compact JSON: one object per line, no pretty-printing.
        Assert.All(watch.Lines, l => Assert.DoesNotContain("\": ", l));
    }

    [Fact]
    public async Task Watch_FromResourceVersion_DoesNotReplayEarlierObjects()
    {
        var sel = Api.UniqueValue();
        var before = Api.UniqueName("wold");
        await Api.CreateAsync(_http, before, Label("wold", sel));
        var rv = await ListResourceVersionAsync($"wold={sel}");
        await using var watch = await WatchStream.OpenAsync(_http, $"watch=true&resourceVersion={rv}&labelSelector=wold%3D{sel}");

        var after = Api.UniqueName("wnew");
        await Api.CreateAsync(_http, after, Label("wold", sel));

        var e = await watch.NextNonBookmarkAsync(Wait);
        Assert.Equal(("ADDED", after), (Type(e), ObjName(e)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("&resourceVersion=0")]
    public async Task Watch_WithoutResourceVersionOrZero_SendsSyntheticAddedForExistingFirst(string rvQuery)
    {
        var sel = Api.UniqueValue();
        var existing = new[] { Api.UniqueName("wsyn"), Api.UniqueName("wsyn") };
        foreach (var n in existing) await Api.CreateAsync(_http, n, Label("syn", sel));

        await using var watch = await WatchStream.OpenAsync(_http, $"watch=true{rvQuery}&labelSelector=syn%3D{sel}");
        var first = await watch.NextNonBookmarkAsync(Wait);
        var second = await watch.NextNonBookmarkAsync(Wait);
        Assert.Equal(["ADDED", "ADDED"], new[] { Type(first), Type(second) });
        Assert.Equal(existing.Order(), new[] { ObjName(first), ObjName(second) }.Order());

        var live = Api.UniqueName("wsyn-live");
        await Api.CreateAsync(_http, live, Label("syn", sel));
        var third = await watch.NextNonBookmarkAsync(Wait);
        Assert.Equal(("ADDED", live), (Type(third), ObjName(third)));
    }

    [Fact]
    public async Task Watch_PythonStyleCapitalizedBooleans_AreAccepted()
    {
        var sel = Api.UniqueValue();
        var name = Api.UniqueName("wpy");
        await Api.CreateAsync(_http, name, Label("wpy", sel));
        await using var watch = await WatchStream.OpenAsync(_http, $"watch=True&allowWatchBookmarks=True&labelSelector=wpy%3D{sel}");
        var e = await watch.NextNonBookmarkAsync(Wait);
        Assert.Equal(("ADDED", name), (Type(e), ObjName(e)));
    }

    [Fact]
    public async Task Watch_AllowWatchBookmarks_ReceivesBookmarkWithResourceVersionOnly()
    {
        var sel = Api.UniqueValue();
        var rv = await ListResourceVersionAsync($"bm={sel}");
        await using var watch = await WatchStream.OpenAsync(_http, $"watch=true&resourceVersion={rv}&allowWatchBookmarks=true&labelSelector=bm%3D{sel}&timeoutSeconds=60");

        // The test server sends bookmarks every 2 s; allow generous slack on a busy machine.
        var e = await watch.NextEventAsync(TimeSpan.FromSeconds(30)) ?? throw new Xunit.Sdk.XunitException("the watch ended without a bookmark");

        Assert.Equal("BOOKMARK", Type(e));
        var obj = e.GetProperty("object");
        Assert.Equal("Cluster", obj.GetProperty("kind").GetString());
        Assert.Equal(Api.ApiVersion, obj.GetProperty("apiVersion").GetString());
        Assert.False(string.IsNullOrEmpty(Api.ResourceVersion(obj)));
        Assert.False(obj.GetProperty("metadata").TryGetProperty("name", out var n) && !string.IsNullOrEmpty(n.GetString()));
        Assert.False(obj.TryGetProperty("spec", out _));
    }

    [Fact]
    public async Task Watch_WithoutAllowWatchBookmarks_SendsNoBookmark()
    {
        var sel = Api.UniqueValue();
        var rv = await ListResourceVersionAsync($"nobm={sel}");
        await using var watch = await WatchStream.OpenAsync(_http, $"watch=true&resourceVersion={rv}&labelSelector=nobm%3D{sel}&timeoutSeconds=5");

        // Longer than two bookmark intervals; the stream then ends by its timeout.
        var events = new List<JsonElement>();
        while (await watch.NextEventAsync(Wait) is { } e) events.Add(e);
        Assert.DoesNotContain(events, e => Type(e) == "BOOKMARK");
    }

    /// <summary>
    /// timeoutSeconds ends the stream with the terminating chunk and no ERROR event, with or without bookmarks
    /// (client-go reflectors always send allowWatchBookmarks=true with timeoutSeconds).
    /// </summary>
    [Theory]
    [InlineData("")]
    [InlineData("&allowWatchBookmarks=true")]
    public async Task Watch_TimeoutSeconds_EndsStreamCleanly(string extra)
    {
        var sel = Api.UniqueValue();
        var name = Api.UniqueName("wto");
        await Api.CreateAsync(_http, name, Label("wto", sel));

        // Several at once: how the stream ends can depend on what the server is doing at the deadline.
        var watches = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ =>
            WatchStream.OpenAsync(_http, $"watch=true&timeoutSeconds=3&labelSelector=wto%3D{sel}{extra}")));
        try
        {
            foreach (var watch in watches)
            {
                var events = new List<JsonElement>();
                while (await watch.NextEventAsync(Wait) is { } e) events.Add(e);

                var only = Assert.Single(events, e => Type(e) != "BOOKMARK");
                Assert.Equal(("ADDED", name), (Type(only), ObjName(only)));
            }
        }
        finally
        {
            foreach (var watch in watches) await watch.DisposeAsync();
        }
    }

    [Fact]
    public async Task Watch_LabelSelector_ObjectLeavingSelectionIsDeletedAndReenteringIsAdded()
    {
        var sel = Api.UniqueValue();
        var rv = await ListResourceVersionAsync($"move={sel}");
        await using var watch = await WatchStream.OpenAsync(_http, $"watch=true&resourceVersion={rv}&labelSelector=move%3D{sel}");
        var name = Api.UniqueName("wmove");

        await Api.CreateAsync(_http, name, Label("move", sel));
        await Api.PatchAsync(_http, Api.Item(name), "{\"metadata\":{\"labels\":{\"move\":\"elsewhere\"}}}");
        await Api.PatchAsync(_http, Api.Item(name), "{\"metadata\":{\"annotations\":{\"while\":\"outside\"}}}");
        await Api.PatchAsync(_http, Api.Item(name), $"{{\"metadata\":{{\"labels\":{{\"move\":\"{sel}\"}}}}}}");

        var events = new[] { await watch.NextNonBookmarkAsync(Wait), await watch.NextNonBookmarkAsync(Wait), await watch.NextNonBookmarkAsync(Wait) };
        Assert.Equal(["ADDED", "DELETED", "ADDED"], events.Select(Type).ToArray());
        Assert.All(events, e => Assert.Equal(name, ObjName(e)));
        Assert.Equal("outside", events[2].GetProperty("object").GetProperty("metadata").GetProperty("annotations").GetProperty("while").GetString());
    }

    [Fact]
    public async Task Watch_FieldSelectorOnName_SeesOnlyThatObject()
    {
        var name = Api.UniqueName("wfs");
        var other = Api.UniqueName("wfs");
        var rv = Api.ResourceVersion(await Api.ListAsync(_http, "limit=1"));
        await using var watch = await WatchStream.OpenAsync(_http, $"watch=true&resourceVersion={rv}&fieldSelector={Api.Enc("metadata.name=" + name)}");

        await Api.CreateAsync(_http, other);
        await Api.CreateAsync(_http, name);

        var e = await watch.NextNonBookmarkAsync(Wait);
        Assert.Equal(("ADDED", name), (Type(e), ObjName(e)));
    }

    [Fact]
    public async Task Watch_LegacyWatchPathForName_StreamsThatObject()
    {
        var name = Api.UniqueName("wlegacy");
        await Api.CreateAsync(_http, name);
        await using var watch = await WatchStream.OpenAsync(_http, "timeoutSeconds=30", $"{Api.GroupVersionPath}/watch/clusters/{name}");
        var first = await watch.NextNonBookmarkAsync(Wait);
        Assert.Equal(("ADDED", name), (Type(first), ObjName(first)));
        await Api.PatchAsync(_http, Api.Item(name), "{\"metadata\":{\"labels\":{\"legacy\":\"yes\"}}}");
        var second = await watch.NextNonBookmarkAsync(Wait);
        Assert.Equal(("MODIFIED", name), (Type(second), ObjName(second)));
    }

    [Fact]
    public async Task Watch_DeleteWithFinalizers_SendsModifiedThenDeleted()
    {
        var sel = Api.UniqueValue();
        var rv = await ListResourceVersionAsync($"wfin={sel}");
        await using var watch = await WatchStream.OpenAsync(_http, $"watch=true&resourceVersion={rv}&labelSelector=wfin%3D{sel}");
        var name = Api.UniqueName("wfin");

        await Api.CreateAsync(_http, name, Label("wfin", sel), ["example.com/hold"]);
        (await _http.DeleteAsync(Api.Item(name))).Dispose();
        await Api.PatchAsync(_http, Api.Item(name), "{\"metadata\":{\"finalizers\":null}}");

        var events = new[] { await watch.NextNonBookmarkAsync(Wait), await watch.NextNonBookmarkAsync(Wait), await watch.NextNonBookmarkAsync(Wait) };
        Assert.Equal(["ADDED", "MODIFIED", "DELETED"], events.Select(Type).ToArray());
        Assert.True(events[1].GetProperty("object").GetProperty("metadata").TryGetProperty("deletionTimestamp", out _));
    }

    /// <summary>The watch-list request client-go 0.35 sends first has no resourceVersion; kube-apiserver accepts it (and "0").</summary>
    [Theory]
    [InlineData("")]
    [InlineData("&resourceVersion=0")]
    public async Task Watch_SendInitialEvents_SendsAddedThenAnnotatedBookmarkThenLiveEvents(string rvQuery)
    {
        var sel = Api.UniqueValue();
        var existing = new[] { Api.UniqueName("wlist"), Api.UniqueName("wlist") };
        foreach (var n in existing) await Api.CreateAsync(_http, n, Label("wl", sel));

        await using var watch = await WatchStream.OpenAsync(_http,
            $"watch=true{rvQuery}&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&labelSelector=wl%3D{sel}");

        var first = await watch.NextEventAsync(Wait);
        var second = await watch.NextEventAsync(Wait);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Equal(["ADDED", "ADDED"], new[] { Type(first.Value), Type(second.Value) });
        Assert.Equal(existing.Order(), new[] { ObjName(first.Value), ObjName(second.Value) }.Order());

        var bookmark = await watch.NextEventAsync(Wait) ?? throw new Xunit.Sdk.XunitException("the watch ended before the initial-events bookmark");
        Assert.Equal("BOOKMARK", Type(bookmark));
        var meta = bookmark.GetProperty("object").GetProperty("metadata");
        Assert.Equal("true", meta.GetProperty("annotations").GetProperty("k8s.io/initial-events-end").GetString());
        Assert.False(string.IsNullOrEmpty(meta.GetProperty("resourceVersion").GetString()));

        var live = Api.UniqueName("wlist-live");
        await Api.CreateAsync(_http, live, Label("wl", sel));
        var next = await watch.NextNonBookmarkAsync(Wait);
        Assert.Equal(("ADDED", live), (Type(next), ObjName(next)));
    }

    [Fact]
    public async Task Watch_SendInitialEventsWithoutResourceVersionMatch_Returns422()
    {
        using var response = await _http.GetAsync(Api.Collection + "?watch=true&sendInitialEvents=true");
        await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
    }

    [Fact]
    public async Task Watch_ResourceVersionMatchWithoutSendInitialEvents_Returns422()
    {
        using var response = await _http.GetAsync(Api.Collection + "?watch=true&resourceVersion=1&resourceVersionMatch=NotOlderThan");
        await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
    }
}
