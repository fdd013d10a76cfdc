using ClusterRegistry.Domain.Meta;
using ClusterRegistry.Tests.ApplicationTests.Support;

namespace ClusterRegistry.Tests.ApplicationTests.Updates;

/// <summary>
/// The update loop (ClusterUpdates.GuaranteedUpdateAsync) under a concurrent writer: a write that loses the race is
/// re-applied to the latest object unless the caller pinned a resourceVersion, which then answers 409. The concurrent
/// write is a second client's PATCH that <see cref="InterposingStorage"/> runs between the handler's read and its
/// compare-and-swap, through the same real store.
/// </summary>
public sealed class UpdateLoopTests
{
    private const string Modified =
        "Operation cannot be fulfilled on clusters.clusterregistry.k8s.io \"a\": the object has been modified; please apply your changes to the latest version and try again";

    [Fact]
    public async Task Patch_OtherWriteBetweenReadAndWrite_IsReappliedToTheLatestObjectAndKeepsBoth()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a"));
        app.Store.BeforeNextWrite(() => app.MergePatchAsync("a", """{"metadata":{"labels":{"other":"1"}}}"""));

        var patched = await app.MergePatchAsync("a", """{"metadata":{"labels":{"mine":"1"}}}""");

        Assert.Equal(new Dictionary<string, string> { ["mine"] = "1", ["other"] = "1" }, patched.Metadata.Labels);
        // The other client's write, this patch's refused compare-and-swap, and its retry on the latest object.
        Assert.Equal(3, app.Store.Updates);
        var stored = await app.GetAsync("a");
        Assert.Equal(patched.Metadata.Labels, stored.Metadata.Labels);
        Assert.Equal(patched.Metadata.ResourceVersion, stored.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Apply_OtherWriteBetweenReadAndWrite_IsReappliedToTheLatestObject()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a"));
        app.Store.BeforeNextWrite(() => app.MergePatchAsync("a", """{"metadata":{"labels":{"other":"1"}}}"""));

        var applied = await app.ApplyAsync("a", $$"""{"apiVersion":"{{Clusters.ApiVersion}}","kind":"Cluster","metadata":{"name":"a","labels":{"mine":"1"} } }""");

        Assert.False(applied.Created);
        Assert.Equal(new Dictionary<string, string> { ["mine"] = "1", ["other"] = "1" }, applied.Object.Metadata.Labels);
        Assert.Equal(3, app.Store.Updates);
    }

    [Fact]
    public async Task Put_OtherWriteBetweenReadAndWrite_Is409AndTheOtherWriteStays()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));
        app.Store.BeforeNextWrite(() => app.MergePatchAsync("a", """{"metadata":{"labels":{"other":"1"}}}"""));

        var e = await Assert.ThrowsAsync<ApiStatusException>(() =>
            app.PutAsync("a", WithResourceVersion(Clusters.New("a", labels: """{"mine":"1"}"""), created.Metadata.ResourceVersion!)));

        Assert.Equal((409, "Conflict", Modified), (e.Code, e.Reason, e.Message));
        // The refused compare-and-swap is not retried: the body's resourceVersion no longer matches.
        Assert.Equal(2, app.Store.Updates);
        Assert.Equal(new Dictionary<string, string> { ["other"] = "1" }, (await app.GetAsync("a")).Metadata.Labels);
    }

    [Fact]
    public async Task Put_StaleResourceVersion_Is409AndWritesNothing()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));
        var current = await app.MergePatchAsync("a", """{"metadata":{"labels":{"other":"1"}}}""");
        var writes = app.Store.Writes;

        var e = await Assert.ThrowsAsync<ApiStatusException>(() =>
            app.PutAsync("a", WithResourceVersion(Clusters.New("a", labels: """{"mine":"1"}"""), created.Metadata.ResourceVersion!)));

        Assert.Equal((409, Modified), (e.Code, e.Message));
        Assert.Equal(writes, app.Store.Writes);
        Assert.Equal(current.Metadata.ResourceVersion, (await app.GetAsync("a")).Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Put_CurrentResourceVersion_Updates()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));

        var updated = await app.PutAsync("a", WithResourceVersion(Clusters.New("a", labels: """{"mine":"1"}"""), created.Metadata.ResourceVersion!));

        Assert.Equal("1", updated.Metadata.Labels!["mine"]);
        Assert.True(long.Parse(updated.Metadata.ResourceVersion!) > long.Parse(created.Metadata.ResourceVersion!));
        Assert.Equal(1, app.Store.Updates);
    }

    [Fact]
    public async Task Put_WithoutResourceVersion_Is422()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a"));

        var e = await Assert.ThrowsAsync<ApiStatusException>(() => app.PutAsync("a", Clusters.New("a", labels: """{"mine":"1"}""")));

        Assert.Equal((422, "Invalid"), (e.Code, e.Reason));
        Assert.Contains("metadata.resourceVersion: Invalid value: 0x0: must be specified for an update", e.Message);
        Assert.Equal(0, app.Store.Updates);
    }

    [Fact]
    public async Task Patch_StaleResourceVersionInThePatch_Is409()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));
        await app.MergePatchAsync("a", """{"metadata":{"labels":{"other":"1"}}}""");

        var e = await Assert.ThrowsAsync<ApiStatusException>(() => app.MergePatchAsync("a",
            $$"""{"metadata":{"resourceVersion":"{{created.Metadata.ResourceVersion}}","labels":{"mine":"1"} } }"""));

        Assert.Equal((409, Modified), (e.Code, e.Message));
        Assert.Equal(1, app.Store.Updates);
    }

    [Fact]
    public async Task Patch_ResourceVersionInThePatch_RacedByAnotherWrite_Is409()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));
        app.Store.BeforeNextWrite(() => app.MergePatchAsync("a", """{"metadata":{"labels":{"other":"1"}}}"""));

        var e = await Assert.ThrowsAsync<ApiStatusException>(() => app.MergePatchAsync("a",
            $$"""{"metadata":{"resourceVersion":"{{created.Metadata.ResourceVersion}}","labels":{"mine":"1"} } }"""));

        Assert.Equal((409, Modified), (e.Code, e.Message));
    }

    [Fact]
    public async Task Put_UidOfAnotherObject_Is409PreconditionFailedAndWritesNothing()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));
        var body = Clusters.New("a", labels: """{"mine":"1"}""").Replace("\"name\":\"a\"",
            $"\"name\":\"a\",\"uid\":\"6f1f5b2e-0000-4000-8000-000000000000\",\"resourceVersion\":\"{created.Metadata.ResourceVersion}\"");

        var e = await Assert.ThrowsAsync<ApiStatusException>(() => app.PutAsync("a", body));

        // kube-apiserver: the PUT body's uid is a storage precondition (rest.defaultUpdatedObjectInfo.Preconditions),
        // whose failure InterpretUpdateError turns into a Conflict.
        Assert.Equal((409, "Conflict"), (e.Code, e.Reason));
        Assert.Equal("Operation cannot be fulfilled on clusters.clusterregistry.k8s.io \"a\": StorageError: invalid object, Code: 4, "
            + "Key: clusters/a, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: "
            + $"6f1f5b2e-0000-4000-8000-000000000000, UID in object meta: {created.Metadata.Uid}", e.Message);
        Assert.Equal(0, app.Store.Updates);
    }

    [Fact]
    public async Task Put_MatchingUid_Updates()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));
        var body = Clusters.New("a", labels: """{"mine":"1"}""").Replace("\"name\":\"a\"",
            $"\"name\":\"a\",\"uid\":\"{created.Metadata.Uid}\",\"resourceVersion\":\"{created.Metadata.ResourceVersion}\"");

        var updated = await app.PutAsync("a", body);

        Assert.Equal(created.Metadata.Uid, updated.Metadata.Uid);
        Assert.Equal("1", updated.Metadata.Labels!["mine"]);
    }

    [Fact]
    public async Task Apply_UidOfAnotherObject_Is409AndMissingObjectWithUid_Is404()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));
        const string other = "6f1f5b2e-0000-4000-8000-000000000000";

        var conflict = await Assert.ThrowsAsync<ApiStatusException>(() => app.ApplyAsync("a",
            $$"""{"apiVersion":"{{Clusters.ApiVersion}}","kind":"Cluster","metadata":{"name":"a","uid":"{{other}}","labels":{"mine":"1"} } }"""));
        var missing = await Assert.ThrowsAsync<ApiStatusException>(() => app.ApplyAsync("b",
            $$"""{"apiVersion":"{{Clusters.ApiVersion}}","kind":"Cluster","metadata":{"name":"b","uid":"{{other}}"} }"""));

        Assert.Equal(409, conflict.Code);
        Assert.Equal($"Operation cannot be fulfilled on Cluster.clusterregistry.k8s.io \"a\": the UID in the precondition ({other}) does not match "
            + $"the UID in record ({created.Metadata.Uid}). The object might have been deleted and then recreated", conflict.Message);
        Assert.Equal(404, missing.Code);
        Assert.Equal(0, app.Store.Updates);
        Assert.Equal(1, app.Store.Creates);
    }

    private static string WithResourceVersion(string body, string resourceVersion) =>
        body.Replace("\"name\":\"a\"", $"\"name\":\"a\",\"resourceVersion\":\"{resourceVersion}\"");
}
