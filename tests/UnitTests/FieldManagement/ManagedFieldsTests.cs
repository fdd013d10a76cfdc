using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Application.FieldManagement;
using ClusterRegistry.Application.Patching;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using ClusterRegistry.Tests.UnitTests.Clusters;

namespace ClusterRegistry.Tests.UnitTests.FieldManagement;

public sealed class ManagedFieldsTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    private static JsonObject Applied(string address, string? label = null)
    {
        var labels = label is null ? "" : ",\"labels\":{\"team\":\"" + label + "\"}";
        return JsonNode.Parse("{\"apiVersion\":\"clusterregistry.k8s.io/v1alpha1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"prod\"" + labels
            + "},\"spec\":{\"kubernetesApiEndpoints\":{\"serverEndpoints\":[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"" + address + "\"}]}}}")!.AsObject();
    }

    private static Cluster ToCluster(JsonObject o) => o.Deserialize<Cluster>(ApiJson.Options)!;

    [Fact]
    public void FieldSet_RoundTripsThroughFieldsV1()
    {
        var set = FieldSet.Leaves(Applied("a", "x"), TypeShape.Of(typeof(Cluster)));
        var trie = set.ToFieldsV1();
        Assert.NotNull(trie["f:spec"]!["f:kubernetesApiEndpoints"]!["f:serverEndpoints"]!["k:{\"clientCIDR\":\"0.0.0.0/0\"}"]!["."]);
        var back = FieldSet.FromFieldsV1(trie);
        Assert.Equal(set.Paths.OrderBy(p => p), back.Paths.OrderBy(p => p));
        Assert.DoesNotContain(set.Paths, p => p.Contains("f:name"));
    }

    [Fact]
    public void Apply_Create_RecordsApplyEntry()
    {
        var outcome = ManagedFields.ApplyConfiguration(null, Applied("a"), "mgr", false, null, Now);
        var entry = Assert.Single(ToCluster(outcome.Merged!).Metadata.ManagedFields!);
        Assert.Equal(("mgr", "Apply"), (entry.Manager, entry.Operation));
    }

    [Fact]
    public void Apply_SameConfigurationAgain_KeepsTheEntryTime()
    {
        var live = ToCluster(ManagedFields.ApplyConfiguration(null, Applied("a", "x"), "mgr", false, null, Now).Merged!);
        var again = ToCluster(ManagedFields.ApplyConfiguration(live, Applied("a", "x"), "mgr", false, null, Now.AddHours(1)).Merged!);
        Assert.Equal(Now, Assert.Single(again.Metadata.ManagedFields!).Time);
        var changed = ToCluster(ManagedFields.ApplyConfiguration(live, Applied("b", "x"), "mgr", false, null, Now.AddHours(1)).Merged!);
        Assert.Equal(Now.AddHours(1), Assert.Single(changed.Metadata.ManagedFields!).Time);
    }

    [Fact]
    public void Apply_OtherManagerChangesOwnedValue_Conflict()
    {
        var live = ToCluster(ManagedFields.ApplyConfiguration(null, Applied("a"), "first", false, null, Now).Merged!);
        var outcome = ManagedFields.ApplyConfiguration(live, Applied("b"), "second", false, null, Now);
        var conflict = Assert.Single(outcome.Conflicts);
        Assert.Equal("first", conflict.Manager);
        var error = ManagedFields.ConflictError(outcome.Conflicts);
        Assert.Equal(409, error.Code);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"first\" using clusterregistry.k8s.io/v1alpha1: .spec.kubernetesApiEndpoints.serverEndpoints[clientCIDR=\"0.0.0.0/0\"].serverAddress", error.Message);
    }

    [Fact]
    public void Apply_SameValueByOtherManager_SharedWithoutConflict()
    {
        var live = ToCluster(ManagedFields.ApplyConfiguration(null, Applied("a"), "first", false, null, Now).Merged!);
        var outcome = ManagedFields.ApplyConfiguration(live, Applied("a"), "second", false, null, Now);
        Assert.Empty(outcome.Conflicts);
        Assert.Equal(2, ToCluster(outcome.Merged!).Metadata.ManagedFields!.Count);
    }

    [Fact]
    public void Apply_Force_TakesOwnershipAndValue()
    {
        var live = ToCluster(ManagedFields.ApplyConfiguration(null, Applied("a"), "first", false, null, Now).Merged!);
        var forced = ToCluster(ManagedFields.ApplyConfiguration(live, Applied("b"), "second", true, null, Now).Merged!);
        Assert.Equal("b", forced.Spec!.KubernetesApiEndpoints!.ServerEndpoints![0].ServerAddress);
        var first = forced.Metadata.ManagedFields!.Single(m => m.Manager == "first");
        Assert.DoesNotContain("serverAddress", first.FieldsV1!.ToJsonString());
    }

    [Fact]
    public void Apply_FieldNoLongerApplied_Removed()
    {
        var live = ToCluster(ManagedFields.ApplyConfiguration(null, Applied("a", "x"), "mgr", false, null, Now).Merged!);
        var after = ToCluster(ManagedFields.ApplyConfiguration(live, Applied("a"), "mgr", false, null, Now).Merged!);
        Assert.False(after.Metadata.Labels?.ContainsKey("team") ?? false);
    }

    [Fact]
    public void RecordUpdate_ChangedFieldsMoveToUpdater()
    {
        var live = ToCluster(ManagedFields.ApplyConfiguration(null, Applied("a", "x"), "applier", false, null, Now).Merged!);
        var updated = ApiJson.Clone(live);
        updated.Metadata.Labels!["team"] = "y";
        ManagedFields.RecordUpdate(live, updated, "editor", null, Now);
        var editor = updated.Metadata.ManagedFields!.Single(m => m.Manager == "editor");
        Assert.Equal("Update", editor.Operation);
        Assert.Contains("f:team", editor.FieldsV1!.ToJsonString());
        var applier = updated.Metadata.ManagedFields!.Single(m => m.Manager == "applier");
        Assert.DoesNotContain("f:team", applier.FieldsV1!.ToJsonString());
    }

    [Fact]
    public void RecordUpdate_NoChange_LeavesManagedFieldsEqual()
    {
        var cluster = new ClusterBuilder().Build();
        ManagedFields.RecordUpdate(null, cluster, "creator", null, Now);
        var again = ApiJson.Clone(cluster);
        ManagedFields.RecordUpdate(cluster, again, "creator", null, Now.AddHours(1));
        Assert.True(ApiJson.JsonEquals(cluster.Metadata.ManagedFields, again.Metadata.ManagedFields));
    }

    [Fact]
    public void RecordUpdate_NoChangeBesidesManagedFields_RecordsNoChange()
    {
        var live = ToCluster(ManagedFields.ApplyConfiguration(null, Applied("a", "x"), "applier", false, null, Now).Merged!);
        var again = ApiJson.Clone(live);
        ManagedFields.RecordUpdate(live, again, "editor", null, Now.AddHours(1));
        // Nothing changed: the editor owns nothing, the applier keeps its fields and time.
        var entry = Assert.Single(again.Metadata.ManagedFields!);
        Assert.Equal(("applier", Now), (entry.Manager, entry.Time));
        Assert.True(ApiJson.JsonEquals(live.Metadata.ManagedFields, again.Metadata.ManagedFields));
    }

    [Fact]
    public void RecordUpdate_NoChange_ANameHoldingThePathSeparator_CountsAsChangedAsAWalkPerLeafFindsIt()
    {
        // A path through such a name cannot be walked, so the per-leaf comparison never finds it in the old object;
        // the shortcut for unchanged objects must answer the same.
        var live = new ClusterBuilder().WithLabel("odd\nname", "v").Build();
        var again = ApiJson.Clone(live);
        ManagedFields.RecordUpdate(live, again, "editor", null, Now);
        var editor = Assert.Single(again.Metadata.ManagedFields!);
        Assert.Equal("editor", editor.Manager);
        Assert.Contains("f:labels", editor.FieldsV1!.ToJsonString());
    }
}
