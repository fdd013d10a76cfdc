using ClusterRegistry.Application.Clusters;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using ClusterRegistry.Tests.ApplicationTests.Support;

namespace ClusterRegistry.Tests.ApplicationTests.Updates;

/// <summary>
/// Updates and deletes start from the watch cache's object, which may miss a write another replica just made
/// (ClusterUpdates, DeleteClusterHandler, as kube-apiserver's GuaranteedUpdate with the cached object). The other
/// replica's write goes straight to the store while <see cref="InterposingStorage"/> holds the cache's watch back, so
/// the cache is behind when the request starts; the first consistent read lets the events through. Whatever the stale
/// start suggests — a refusal, "nothing to change", "not found" — the answer must be the one the latest object gives.
/// </summary>
public sealed class StaleStartTests
{
    [Fact]
    public async Task Patch_CacheBehindAnotherReplicasWrite_RefusedSwapIsRetriedOnTheLatestObjectAndKeepsBoth()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a"));
        await AnotherReplicaWritesAsync(app, "a", c => c.Metadata.Labels = new() { ["other"] = "1" });

        var patched = await app.MergePatchAsync("a", """{"metadata":{"labels":{"mine":"1"}}}""");

        Assert.Equal(new Dictionary<string, string> { ["mine"] = "1", ["other"] = "1" }, patched.Metadata.Labels);
        // Started from the cache: its compare-and-swap on the stale revision was refused, the retry on the latest stored.
        Assert.Equal(2, app.Store.Updates);
        Assert.Equal(patched.Metadata.ResourceVersion, (await app.GetAsync("a")).Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Patch_CacheBehind_NoChangeOnTheStaleObject_IsJudgedOnTheLatestAndWrites()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a", labels: """{"env":"prod"}"""));
        await AnotherReplicaWritesAsync(app, "a", c => c.Metadata.Labels = new() { ["env"] = "test" });

        // On the cached object this patch changes nothing; on the latest it changes env back.
        var patched = await app.MergePatchAsync("a", """{"metadata":{"labels":{"env":"prod"}}}""");

        Assert.Equal("prod", patched.Metadata.Labels!["env"]);
        Assert.Equal(1, app.Store.Updates);
        var stored = await app.GetAsync("a");
        Assert.Equal(("prod", patched.Metadata.ResourceVersion), (stored.Metadata.Labels!["env"], stored.Metadata.ResourceVersion));
    }

    [Fact]
    public async Task Put_CacheBehind_ResourceVersionOfTheLatestObject_Updates()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a"));
        // The client read the other replica's write and sends its resourceVersion: a precondition the cache cannot judge.
        var latest = await AnotherReplicaWritesAsync(app, "a", c => c.Metadata.Labels = new() { ["other"] = "1" });

        var updated = await app.PutAsync("a", Clusters.New("a", labels: """{"mine":"1"}""")
            .Replace("\"name\":\"a\"", $"\"name\":\"a\",\"resourceVersion\":\"{latest.Metadata.ResourceVersion}\""));

        Assert.Equal(new Dictionary<string, string> { ["mine"] = "1" }, updated.Metadata.Labels);
        Assert.Equal(1, app.Store.Updates);
    }

    [Fact]
    public async Task Delete_CacheBehind_ResourceVersionPreconditionOfTheLatestObject_Deletes()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a"));
        var latest = await AnotherReplicaWritesAsync(app, "a", c => c.Metadata.Labels = new() { ["other"] = "1" });

        var deleted = await app.DeleteAsync("a", new Preconditions { ResourceVersion = latest.Metadata.ResourceVersion });

        Assert.True(deleted.Deleted);
        Assert.Equal(latest.Metadata.ResourceVersion, deleted.Object.Metadata.ResourceVersion);
        Assert.Equal(1, app.Store.Deletes);
        Assert.Equal(404, (await Assert.ThrowsAsync<ApiStatusException>(() => app.GetAsync("a"))).Code);
    }

    [Fact]
    public async Task Delete_CacheBehind_WithoutPreconditions_AnswersTheLastStateDeleted()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a"));
        var latest = await AnotherReplicaWritesAsync(app, "a", c => c.Metadata.Labels = new() { ["other"] = "1" });

        var deleted = await app.DeleteAsync("a");

        Assert.True(deleted.Deleted);
        Assert.Equal((latest.Metadata.ResourceVersion, "1"), (deleted.Object.Metadata.ResourceVersion, deleted.Object.Metadata.Labels!["other"]));
        // The refused delete of the cached revision, then the delete of the latest.
        Assert.Equal(2, app.Store.Deletes);
    }

    [Fact]
    public async Task Apply_CacheHasNotSeenAnotherReplicasCreate_UpdatesTheObjectInsteadOfCreating()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("warm-up"));
        await app.GetAsync("warm-up");
        app.Store.HoldWatchesUntilNextConsistentRead();
        // Another replica's create, which the held-back cache has not seen.
        var created = ApiJson.Deserialize<Cluster>(System.Text.Encoding.UTF8.GetBytes(Clusters.New("b")));
        created.Metadata.Uid = Guid.NewGuid().ToString();
        created.Metadata.CreationTimestamp = DateTimeOffset.UtcNow;
        await app.Embedded.CreateAsync(ClusterKeys.For("b"), ClusterCodec.Encode(created), CancellationToken.None);

        var applied = await app.ApplyAsync("b", $$"""{"apiVersion":"{{Clusters.ApiVersion}}","kind":"Cluster","metadata":{"name":"b","labels":{"mine":"1"} } }""");

        Assert.False(applied.Created);
        Assert.Equal((created.Metadata.Uid, "1"), (applied.Object.Metadata.Uid, applied.Object.Metadata.Labels!["mine"]));
        Assert.Equal(1, app.Store.Creates);
    }

    /// <summary>
    /// Changes the object as another replica would: straight in the store, with the cache's watch held back so the
    /// cache still has the previous version. Returns the object as that replica stored it.
    /// </summary>
    private static async Task<Cluster> AnotherReplicaWritesAsync(ApplicationHost app, string name, Action<Cluster> change)
    {
        // The cache has everything written so far (a consistent read waits for it) before it is held back.
        await app.GetAsync(name);
        app.Store.HoldWatchesUntilNextConsistentRead();
        var key = ClusterKeys.For(name);
        var stored = await app.Embedded.GetAsync(key, CancellationToken.None) ?? throw new InvalidOperationException("no object");
        var cluster = ClusterCodec.Decode(stored);
        change(cluster);
        var revision = await app.Embedded.UpdateAsync(key, ClusterCodec.Encode(cluster), stored.Revision, CancellationToken.None);
        cluster.Metadata.ResourceVersion = ResourceVersion.Format(revision);
        return cluster;
    }
}
