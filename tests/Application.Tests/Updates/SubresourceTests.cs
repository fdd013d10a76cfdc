using ClusterRegistry.Domain.Meta;
using ClusterRegistry.Tests.ApplicationTests.Support;

namespace ClusterRegistry.Tests.ApplicationTests.Updates;

/// <summary>
/// The main resource and the status subresource as the handlers enforce them (ClusterStrategy): the main resource
/// never writes status, /status writes only status, and metadata.generation counts spec changes only.
/// </summary>
public sealed class SubresourceTests
{
    private const string Status = """{"version":{"kubernetes":"v1.30.0"}}""";

    [Fact]
    public async Task Create_WithStatus_DropsStatusAndStartsGenerationAtOne()
    {
        await using var app = await ApplicationHost.StartAsync();

        var created = await app.CreateAsync(Clusters.New("a").TrimEnd()[..^1] + $",\"status\":{Status}}}");

        Assert.Null(created.Status);
        Assert.Equal(1, created.Metadata.Generation);
        Assert.Null((await app.GetAsync("a")).Status);
    }

    [Fact]
    public async Task PutMain_StatusAndLabelChanges_KeepsStatusAndGeneration()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a"));
        var current = await app.MergePatchAsync("a", $$"""{"status":{{Status}} }""", subresource: "status");

        var body = Clusters.ToJson(current).Replace("v1.30.0", "v1.31.0").Replace("\"name\":\"a\"", "\"name\":\"a\",\"labels\":{\"env\":\"prod\"}");
        var updated = await app.PutAsync("a", body);

        Assert.Equal("v1.30.0", updated.Status!.Version!.Kubernetes);
        Assert.Equal("prod", updated.Metadata.Labels!["env"]);
        Assert.Equal(1, updated.Metadata.Generation);
    }

    [Fact]
    public async Task PatchMain_SpecChange_BumpsGenerationOnce_AndMetadataChangeDoesNot()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a"));

        var labelled = await app.MergePatchAsync("a", """{"metadata":{"labels":{"env":"prod"}}}""");
        var respecced = await app.MergePatchAsync("a", """{"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"0.0.0.0/0","serverAddress":"https://b.example:6443"}]}}}""");
        var annotated = await app.MergePatchAsync("a", """{"metadata":{"annotations":{"note":"x"}}}""");

        Assert.Equal(1, labelled.Metadata.Generation);
        Assert.Equal(2, respecced.Metadata.Generation);
        Assert.Equal(2, annotated.Metadata.Generation);
    }

    [Fact]
    public async Task PutMain_GenerationInTheBody_IsIgnored()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));
        created.Metadata.Generation = 7;
        created.Metadata.Labels = new() { ["env"] = "prod" };

        var updated = await app.PutAsync("a", Clusters.ToJson(created));

        Assert.Equal(1, updated.Metadata.Generation);
    }

    [Fact]
    public async Task PutStatus_SpecAndMetadataChanges_WritesOnlyStatusAndKeepsGeneration()
    {
        await using var app = await ApplicationHost.StartAsync();
        var created = await app.CreateAsync(Clusters.New("a"));
        var body = Clusters.New("a", server: "https://b.example:6443", labels: """{"env":"prod"}""").TrimEnd()[..^1]
            .Replace("\"name\":\"a\"", $"\"name\":\"a\",\"resourceVersion\":\"{created.Metadata.ResourceVersion}\"") + $",\"status\":{Status}}}";

        var updated = await app.PutAsync("a", body, subresource: "status");

        Assert.Equal("v1.30.0", updated.Status!.Version!.Kubernetes);
        Assert.Equal("https://a.example:6443", updated.Spec!.KubernetesApiEndpoints!.ServerEndpoints![0].ServerAddress);
        Assert.Null(updated.Metadata.Labels);
        Assert.Equal(1, updated.Metadata.Generation);
        var stored = await app.GetAsync("a");
        Assert.Equal(Clusters.ToJson(updated), Clusters.ToJson(stored));
    }

    [Fact]
    public async Task PatchStatus_SpecChange_IsIgnored()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a"));

        var patched = await app.MergePatchAsync("a",
            $$"""{"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"0.0.0.0/0","serverAddress":"https://b.example:6443"}]} },"status":{{Status}} }""",
            subresource: "status");

        Assert.Equal("https://a.example:6443", patched.Spec!.KubernetesApiEndpoints!.ServerEndpoints![0].ServerAddress);
        Assert.Equal("v1.30.0", patched.Status!.Version!.Kubernetes);
        Assert.Equal(1, patched.Metadata.Generation);
    }

    [Fact]
    public async Task ApplyStatus_RecordsTheStatusSubresourceAndKeepsGeneration()
    {
        await using var app = await ApplicationHost.StartAsync();
        await app.CreateAsync(Clusters.New("a"));

        var applied = await app.ApplyAsync("a",
            $$"""{"apiVersion":"{{Clusters.ApiVersion}}","kind":"Cluster","metadata":{"name":"a"},"status":{{Status}} }""",
            manager: "prober", subresource: "status");

        Assert.Equal("v1.30.0", applied.Object.Status!.Version!.Kubernetes);
        Assert.Equal(1, applied.Object.Metadata.Generation);
        var entry = Assert.Single(applied.Object.Metadata.ManagedFields!, m => m.Manager == "prober");
        Assert.Equal("status", entry.Subresource);
    }

    [Fact]
    public async Task ApplyStatus_MissingObject_Is404AndCreatesNothing()
    {
        await using var app = await ApplicationHost.StartAsync();

        var e = await Assert.ThrowsAsync<ApiStatusException>(() => app.ApplyAsync("a",
            $$"""{"apiVersion":"{{Clusters.ApiVersion}}","kind":"Cluster","metadata":{"name":"a"},"status":{{Status}} }""", subresource: "status"));

        Assert.Equal(404, e.Code);
        Assert.Equal(0, app.Store.Writes);
    }

    [Fact]
    public async Task PutStatus_MissingObject_Is404()
    {
        await using var app = await ApplicationHost.StartAsync();

        var e = await Assert.ThrowsAsync<ApiStatusException>(() => app.PutAsync("a",
            Clusters.New("a").Replace("\"name\":\"a\"", "\"name\":\"a\",\"resourceVersion\":\"1\""), subresource: "status"));

        Assert.Equal((404, "clusters.clusterregistry.k8s.io \"a\" not found"), (e.Code, e.Message));
    }
}
