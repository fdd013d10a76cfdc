using ClusterRegistry.Tests.ApplicationTests.Support;

namespace ClusterRegistry.Tests.ApplicationTests.Updates;

/// <summary>
/// A write that changes nothing stores nothing (k8s GuaranteedUpdate's "no changes" short-cut): the answer carries the
/// unchanged resourceVersion, and neither the storage port nor the store's revision sees a write.
/// </summary>
public sealed class NoOpWriteTests
{
    [Fact]
    public async Task Put_TheObjectAsRead_KeepsResourceVersionAndWritesNothing()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a", labels: """{"env":"prod"}"""));
        var read = await app.GetAsync("a");
        var revision = await app.RevisionAsync();

        var put = await app.PutAsync("a", Clusters.ToJson(read));

        await AssertNoWriteAsync(app, read.Metadata.ResourceVersion!, put.Metadata.ResourceVersion!, revision);
    }

    [Fact]
    public async Task Patch_EmptyOrSameValue_KeepsResourceVersionAndWritesNothing()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a", labels: """{"env":"prod"}"""));
        var revision = await app.RevisionAsync();

        var empty = await app.MergePatchAsync("a", "{}");
        var same = await app.MergePatchAsync("a", """{"metadata":{"labels":{"env":"prod"}}}""");

        await AssertNoWriteAsync(app, created.Metadata.ResourceVersion!, empty.Metadata.ResourceVersion!, revision);
        await AssertNoWriteAsync(app, created.Metadata.ResourceVersion!, same.Metadata.ResourceVersion!, revision);
    }

    [Fact]
    public async Task Patch_StatusOnlyFieldsOnTheMainResource_KeepsResourceVersionAndWritesNothing()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));
        var revision = await app.RevisionAsync();

        // Status is not written through the main resource: the patch changes nothing that is stored.
        var patched = await app.MergePatchAsync("a", """{"status":{"version":{"kubernetes":"v1.30.0"}}}""");

        Assert.Null(patched.Status);
        await AssertNoWriteAsync(app, created.Metadata.ResourceVersion!, patched.Metadata.ResourceVersion!, revision);
    }

    [Fact]
    public async Task Create_EmptyLabels_RecordsNoOwnershipOfThem_SoAnEmptyPatchWritesNothing()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a", labels: "{}"));
        var revision = await app.RevisionAsync();

        var patched = await app.MergePatchAsync("a", "{}");

        // Empty labels are not stored, so no manager owns them (kube drops them before the field manager sees them).
        Assert.Null(created.Metadata.Labels);
        Assert.DoesNotContain("f:labels", Clusters.ToJson(created));
        await AssertNoWriteAsync(app, created.Metadata.ResourceVersion!, patched.Metadata.ResourceVersion!, revision);
    }

    [Fact]
    public async Task Apply_SameConfigurationTwice_SecondKeepsResourceVersionAndWritesNothing()
    {
        await using var app = await ApplicationHost.StartAsync();
        var configuration = $$"""
            {"apiVersion":"{{Clusters.ApiVersion}}","kind":"Cluster","metadata":{"name":"a","labels":{"env":"prod"} },
             "spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"0.0.0.0/0","serverAddress":"https://a.example:6443"}]} } }
            """;
        var first = await app.ApplyAsync("a", configuration);
        var revision = await app.RevisionAsync();

        var second = await app.ApplyAsync("a", configuration);

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.Object.Metadata.ManagedFields![0].Time, second.Object.Metadata.ManagedFields![0].Time);
        await AssertNoWriteAsync(app, first.Object.Metadata.ResourceVersion!, second.Object.Metadata.ResourceVersion!, revision, creates: 1);
    }

    [Fact]
    public async Task PutStatus_Unchanged_KeepsResourceVersionAndWritesNothing()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a"));
        var withStatus = await app.MergePatchAsync("a", """{"status":{"version":{"kubernetes":"v1.30.0"}}}""", subresource: "status");
        var updates = app.Store.Updates;
        var revision = await app.RevisionAsync();

        var put = await app.PutAsync("a", Clusters.ToJson(withStatus), subresource: "status");

        Assert.Equal(withStatus.Metadata.ResourceVersion, put.Metadata.ResourceVersion);
        Assert.Equal(updates, app.Store.Updates);
        Assert.Equal(revision, await app.RevisionAsync());
    }

    [Fact]
    public async Task DryRunPut_Change_AnswersTheChangedObjectAndWritesNothing()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));
        var revision = await app.RevisionAsync();
        var body = Clusters.New("a", labels: """{"mine":"1"}""").Replace("\"name\":\"a\"",
            $"\"name\":\"a\",\"resourceVersion\":\"{created.Metadata.ResourceVersion}\"");

        var answered = await app.PutAsync("a", body, dryRun: true);

        Assert.Equal("1", answered.Metadata.Labels!["mine"]);
        Assert.Equal(0, app.Store.Updates);
        Assert.Equal(revision, await app.RevisionAsync());
        Assert.Null((await app.GetAsync("a")).Metadata.Labels);
    }

    [Fact]
    public async Task Patch_RealChange_WritesOnce()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));

        var patched = await app.MergePatchAsync("a", """{"metadata":{"labels":{"env":"prod"}}}""");

        Assert.NotEqual(created.Metadata.ResourceVersion, patched.Metadata.ResourceVersion);
        Assert.Equal(1, app.Store.Updates);
        Assert.Equal(long.Parse(patched.Metadata.ResourceVersion!), await app.RevisionAsync());
    }

    private static async Task AssertNoWriteAsync(ApplicationHost app, string before, string after, long revision, int creates = 1)
    {
        Assert.Equal(before, after);
        Assert.Equal(creates, app.Store.Writes);
        Assert.Equal(revision, await app.RevisionAsync());
    }
}
