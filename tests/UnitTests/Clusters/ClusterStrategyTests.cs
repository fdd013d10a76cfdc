using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Tests.UnitTests.Clusters;

public sealed class ClusterStrategyTests
{
    [Fact]
    public void PrepareForCreate_DropsStatusAndStartsGenerationAtOne()
    {
        var cluster = new ClusterBuilder().WithCondition("Ready", "True").Build();
        cluster.Metadata.Generation = 7;
        ClusterStrategy.PrepareForCreate(cluster);
        Assert.Null(cluster.Status);
        Assert.Equal(1, cluster.Metadata.Generation);
    }

    [Fact]
    public void PrepareForUpdate_SpecChange_BumpsGenerationAndKeepsOldStatus()
    {
        var old = new ClusterBuilder().WithCondition("Ready", "True").Build();
        var updated = new ClusterBuilder().WithEndpoint("10.0.0.0/8", "b.example.com").Build();
        ClusterStrategy.PrepareForUpdate(updated, old);
        Assert.Equal(2, updated.Metadata.Generation);
        Assert.Equal("True", updated.Status!.Conditions![0].Status);
    }

    [Fact]
    public void PrepareForUpdate_MetadataOnlyChange_KeepsGeneration()
    {
        var old = new ClusterBuilder().Build();
        var updated = new ClusterBuilder().WithLabel("env", "prod").Build();
        ClusterStrategy.PrepareForUpdate(updated, old);
        Assert.Equal(1, updated.Metadata.Generation);
    }

    [Fact]
    public void PrepareForStatusUpdate_TakesEverythingButStatusFromOld()
    {
        var old = new ClusterBuilder().WithLabel("env", "prod").Build();
        var updated = new ClusterBuilder().WithLabel("env", "changed").WithEndpoint("10.0.0.0/8", "x.example.com").WithCondition("Ready", "False").Build();
        ClusterStrategy.PrepareForStatusUpdate(updated, old);
        Assert.Equal("prod", updated.Metadata.Labels!["env"]);
        Assert.Single(updated.Spec!.KubernetesApiEndpoints!.ServerEndpoints!);
        Assert.Equal("False", updated.Status!.Conditions![0].Status);
        Assert.Equal(1, updated.Metadata.Generation);
    }

    [Fact]
    public void Canonicalize_EmptyCollections_Removed()
    {
        var cluster = new ClusterBuilder().Build();
        cluster.Metadata.Labels = [];
        cluster.Metadata.Finalizers = [];
        ClusterStrategy.Canonicalize(cluster);
        Assert.Null(cluster.Metadata.Labels);
        Assert.Null(cluster.Metadata.Finalizers);
    }

    [Fact]
    public void WarningsOnCreate_UnqualifiedFinalizer_Warns()
    {
        var warnings = ClusterStrategy.WarningsOnCreate(new ClusterBuilder().WithFinalizer("plain").Build());
        Assert.Single(warnings);
        Assert.Empty(ClusterStrategy.WarningsOnCreate(new ClusterBuilder().WithFinalizer("example.com/ok").Build()));
    }

    [Fact]
    public void ApiJson_Time_WrittenAsRfc3339WholeSeconds()
    {
        var cluster = new ClusterBuilder().Build();
        cluster.Metadata.CreationTimestamp = new DateTimeOffset(2026, 11, 25, 13, 47, 45, 123, TimeSpan.FromHours(2));
        var json = System.Text.Encoding.UTF8.GetString(ApiJson.Serialize(cluster));
        Assert.Contains("\"creationTimestamp\":\"2026-11-25T11:47:45Z\"", json);
        Assert.Contains("\"clientCIDR\":\"0.0.0.0/0\"", json);
    }
}
