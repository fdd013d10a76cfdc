using System.Text.Json.Nodes;
using ClusterRegistry.Application.Patching;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Tests.UnitTests.Patching;

public sealed class PatchTests
{
    private static readonly TypeShape ClusterShape = TypeShape.Of(typeof(Cluster));

    private static JsonNode Doc(string json) => JsonNode.Parse(json)!;

    private const string Live = """
        {"metadata":{"name":"c","labels":{"a":"1","b":"2"},"finalizers":["x/a"]},
         "spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"0.0.0.0/0","serverAddress":"a"},{"clientCIDR":"10.0.0.0/8","serverAddress":"b"}]}}}
        """;

    [Fact]
    public void MergePatch_NullDeletesAndObjectsMerge()
    {
        var result = JsonMergePatch.Apply(Doc(Live), Doc("""{"metadata":{"labels":{"a":null,"c":"3"}}}"""))!;
        Assert.True(JsonNode.DeepEquals(Doc("""{"b":"2","c":"3"}"""), result["metadata"]!["labels"]));
        Assert.Equal("c", result["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void MergePatch_ListsReplaced()
    {
        var result = JsonMergePatch.Apply(Doc(Live), Doc("""{"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"serverAddress":"z"}]}}}"""))!;
        Assert.Single(result["spec"]!["kubernetesApiEndpoints"]!["serverEndpoints"]!.AsArray());
    }

    [Fact]
    public void StrategicMergePatch_KeyedListMergesByKey()
    {
        var patch = Doc("""{"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"10.0.0.0/8","serverAddress":"b2"},{"clientCIDR":"::/0","serverAddress":"c"}]}}}""");
        var result = StrategicMergePatch.Apply(Doc(Live), patch, ClusterShape)!;
        var eps = result["spec"]!["kubernetesApiEndpoints"]!["serverEndpoints"]!.AsArray();
        Assert.Equal(["a", "b2", "c"], eps.Select(e => e!["serverAddress"]!.GetValue<string>()));
    }

    [Fact]
    public void StrategicMergePatch_DeleteDirectiveRemovesItem()
    {
        var patch = Doc("""{"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"0.0.0.0/0","$patch":"delete"}]}}}""");
        var eps = StrategicMergePatch.Apply(Doc(Live), patch, ClusterShape)!["spec"]!["kubernetesApiEndpoints"]!["serverEndpoints"]!.AsArray();
        Assert.Equal("10.0.0.0/8", Assert.Single(eps)!["clientCIDR"]!.GetValue<string>());
    }

    [Fact]
    public void StrategicMergePatch_ReplaceDirectiveReplacesMap()
    {
        var patch = Doc("""{"metadata":{"labels":{"$patch":"replace","z":"9"}}}""");
        var result = StrategicMergePatch.Apply(Doc(Live), patch, ClusterShape)!;
        Assert.True(JsonNode.DeepEquals(Doc("""{"z":"9"}"""), result["metadata"]!["labels"]));
    }

    [Fact]
    public void StrategicMergePatch_SetElementOrderReordersKeyedList()
    {
        var patch = Doc("""{"spec":{"kubernetesApiEndpoints":{"$setElementOrder/serverEndpoints":[{"clientCIDR":"10.0.0.0/8"},{"clientCIDR":"0.0.0.0/0"}]}}}""");
        var eps = StrategicMergePatch.Apply(Doc(Live), patch, ClusterShape)!["spec"]!["kubernetesApiEndpoints"]!["serverEndpoints"]!.AsArray();
        Assert.Equal(["10.0.0.0/8", "0.0.0.0/0"], eps.Select(e => e!["clientCIDR"]!.GetValue<string>()));
    }

    [Fact]
    public void StrategicMergePatch_FinalizersMergeAsSetAndDeleteFromPrimitiveList()
    {
        var added = StrategicMergePatch.Apply(Doc(Live), Doc("""{"metadata":{"finalizers":["x/b"]}}"""), ClusterShape)!;
        Assert.Equal(["x/a", "x/b"], added["metadata"]!["finalizers"]!.AsArray().Select(f => f!.GetValue<string>()));
        var removed = StrategicMergePatch.Apply(added, Doc("""{"metadata":{"$deleteFromPrimitiveList/finalizers":["x/a"]}}"""), ClusterShape)!;
        Assert.Equal(["x/b"], removed["metadata"]!["finalizers"]!.AsArray().Select(f => f!.GetValue<string>()));
    }

    [Fact]
    public void StrategicMergePatch_RetainKeysDropsOthers()
    {
        var result = StrategicMergePatch.Apply(Doc(Live), Doc("""{"metadata":{"labels":{"$retainKeys":["a"]}}}"""), ClusterShape)!;
        Assert.True(JsonNode.DeepEquals(Doc("""{"a":"1"}"""), result["metadata"]!["labels"]));
    }

    [Fact]
    public void JsonPatch_AddReplaceRemoveMoveCopyTest()
    {
        var ops = JsonPatch.Parse(Doc("""
            [{"op":"add","path":"/metadata/labels/c","value":"3"},
             {"op":"replace","path":"/metadata/labels/a","value":"9"},
             {"op":"remove","path":"/metadata/labels/b"},
             {"op":"copy","from":"/metadata/labels/a","path":"/metadata/labels/d"},
             {"op":"move","from":"/metadata/labels/d","path":"/metadata/labels/e"},
             {"op":"add","path":"/spec/kubernetesApiEndpoints/serverEndpoints/-","value":{"clientCIDR":"::/0","serverAddress":"c"}},
             {"op":"test","path":"/metadata/name","value":"c"}]
            """));
        var result = JsonPatch.Apply(Doc(Live), ops);
        Assert.True(JsonNode.DeepEquals(Doc("""{"a":"9","c":"3","e":"9"}"""), result["metadata"]!["labels"]));
        Assert.Equal(3, result["spec"]!["kubernetesApiEndpoints"]!["serverEndpoints"]!.AsArray().Count);
    }

    [Fact]
    public void JsonPatch_FailingTest_422()
    {
        var ops = JsonPatch.Parse(Doc("""[{"op":"test","path":"/metadata/name","value":"other"}]"""));
        var e = Assert.Throws<ApiStatusException>(() => JsonPatch.Apply(Doc(Live), ops));
        Assert.Equal(422, e.Code);
    }

    [Fact]
    public void JsonPatch_MissingPath_422()
    {
        var ops = JsonPatch.Parse(Doc("""[{"op":"remove","path":"/metadata/nothing/here"}]"""));
        Assert.Equal(422, Assert.Throws<ApiStatusException>(() => JsonPatch.Apply(Doc(Live), ops)).Code);
    }

    [Theory]
    [InlineData("""{"op":"add"}""")]
    [InlineData("""[{"path":"/a"}]""")]
    [InlineData("""[1,2]""")]
    public void JsonPatch_Malformed_400(string patch) =>
        Assert.Equal(400, Assert.Throws<ApiStatusException>(() => JsonPatch.Parse(Doc(patch))).Code);

    [Fact]
    public void JsonPatch_TooManyOperations_413()
    {
        var ops = new JsonArray(Enumerable.Range(0, 10001).Select(_ => (JsonNode)new JsonObject { ["op"] = "test", ["path"] = "", ["value"] = 1 }).ToArray());
        Assert.Equal(413, Assert.Throws<ApiStatusException>(() => JsonPatch.Parse(ops)).Code);
    }

    [Theory]
    [InlineData("""{"metadata":{"labels":{"a":null,"c":"3"}}}""")]
    [InlineData("""{"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"serverAddress":"z"}]}}}""")]
    [InlineData("""{"metadata":{"annotations":{"n":{"deep":["v"]}}},"spec":null,"status":{"conditions":[]}}""")]
    [InlineData("""{"metadata":"replaced"}""")]
    public void MergePatch_IntoOwnedDocument_SameAsIntoACopy_AndThePatchStaysAsItWas(string patchJson)
    {
        var patch = Doc(patchJson);
        var expected = JsonMergePatch.Apply(Doc(Live), patch)!.ToJsonString();
        // Applied twice, as a retried update re-applies the same patch to a new document.
        for (var i = 0; i < 2; i++)
            Assert.Equal(expected, JsonMergePatch.ApplyToOwned(Doc(Live), patch)!.ToJsonString());
        Assert.Equal(Doc(patchJson).ToJsonString(), patch.ToJsonString());
    }
}
