using ClusterRegistry.Domain.Meta;
using ClusterRegistry.Tests.ApplicationTests.Support;

namespace ClusterRegistry.Tests.ApplicationTests.Updates;

/// <summary>Delete with preconditions and finalizers (DeleteClusterHandler), including a write racing the delete.</summary>
public sealed class DeleteTests
{
    private const string OtherUid = "6f1f5b2e-0000-4000-8000-000000000000";

    [Fact]
    public async Task Delete_UidPreconditionOfAnotherObject_Is409AndKeepsTheObject()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));

        var e = await Assert.ThrowsAsync<ApiStatusException>(() => app.DeleteAsync("a", new Preconditions { Uid = OtherUid }));

        Assert.Equal((409, "Conflict"), (e.Code, e.Reason));
        Assert.Equal($"Operation cannot be fulfilled on Cluster.clusterregistry.k8s.io \"a\": the UID in the precondition ({OtherUid}) does not "
            + $"match the UID in record ({created.Metadata.Uid}). The object might have been deleted and then recreated", e.Message);
        Assert.Equal(0, app.Store.Deletes);
        Assert.Equal(created.Metadata.Uid, (await app.GetAsync("a")).Metadata.Uid);
    }

    [Fact]
    public async Task Delete_StaleResourceVersionPrecondition_Is409AndKeepsTheObject()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));
        var current = await app.MergePatchAsync("a", """{"metadata":{"labels":{"env":"prod"}}}""");

        var e = await Assert.ThrowsAsync<ApiStatusException>(() =>
            app.DeleteAsync("a", new Preconditions { ResourceVersion = created.Metadata.ResourceVersion }));

        Assert.Equal(409, e.Code);
        Assert.Equal($"Operation cannot be fulfilled on Cluster.clusterregistry.k8s.io \"a\": the ResourceVersion in the precondition "
            + $"({created.Metadata.ResourceVersion}) does not match the ResourceVersion in record ({current.Metadata.ResourceVersion}). "
            + "The object might have been modified", e.Message);
        Assert.Equal(0, app.Store.Deletes);
    }

    [Fact]
    public async Task Delete_MatchingPreconditions_Deletes()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));

        var deleted = await app.DeleteAsync("a", new Preconditions { Uid = created.Metadata.Uid, ResourceVersion = created.Metadata.ResourceVersion });

        Assert.True(deleted.Deleted);
        Assert.Equal(1, app.Store.Deletes);
        Assert.Equal(404, (await Assert.ThrowsAsync<ApiStatusException>(() => app.GetAsync("a"))).Code);
    }

    [Fact]
    public async Task Delete_ResourceVersionPrecondition_RacedByAnotherWrite_Is409AndKeepsTheOtherWrite()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));
        app.Store.BeforeNextWrite(() => app.MergePatchAsync("a", """{"metadata":{"labels":{"other":"1"}}}"""));

        var e = await Assert.ThrowsAsync<ApiStatusException>(() =>
            app.DeleteAsync("a", new Preconditions { ResourceVersion = created.Metadata.ResourceVersion }));

        Assert.Equal(409, e.Code);
        Assert.EndsWith("The object might have been modified", e.Message);
        Assert.Equal("1", (await app.GetAsync("a")).Metadata.Labels!["other"]);
    }

    [Fact]
    public async Task Delete_WithoutPreconditions_RacedByAnotherWrite_RetriesAndDeletes()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a"));
        app.Store.BeforeNextWrite(() => app.MergePatchAsync("a", """{"metadata":{"labels":{"other":"1"}}}"""));

        var deleted = await app.DeleteAsync("a");

        Assert.True(deleted.Deleted);
        // The refused delete of the old revision, then the delete of the latest one.
        Assert.Equal(2, app.Store.Deletes);
        Assert.Equal("1", deleted.Object.Metadata.Labels!["other"]);
        Assert.Equal(404, (await Assert.ThrowsAsync<ApiStatusException>(() => app.GetAsync("a"))).Code);
    }

    [Fact]
    public async Task Delete_WithFinalizers_MarksOnce_AndRemovingTheLastFinalizerDeletes()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a").Replace("\"name\":\"a\"", "\"name\":\"a\",\"finalizers\":[\"example.com/keep\"]"));

        var marked = await app.DeleteAsync("a");
        var writes = app.Store.Writes;
        var again = await app.DeleteAsync("a");

        Assert.False(marked.Deleted);
        Assert.NotNull(marked.Object.Metadata.DeletionTimestamp);
        Assert.Equal(2, marked.Object.Metadata.Generation);
        Assert.False(again.Deleted);
        Assert.Equal(marked.Object.Metadata.ResourceVersion, again.Object.Metadata.ResourceVersion);
        Assert.Equal(writes, app.Store.Writes);

        await app.MergePatchAsync("a", """{"metadata":{"finalizers":null}}""");

        Assert.Equal(1, app.Store.Deletes);
        Assert.Equal(404, (await Assert.ThrowsAsync<ApiStatusException>(() => app.GetAsync("a"))).Code);
    }
}
