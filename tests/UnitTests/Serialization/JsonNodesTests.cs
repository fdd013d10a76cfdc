using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Application.FieldManagement;
using ClusterRegistry.Application.Patching;
using ClusterRegistry.Application.Serialization;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Tests.UnitTests.Serialization;

/// <summary>Regressions found by the fuzz test: duplicate members and malformed managedFields must not become 500s.</summary>
public sealed class JsonNodesTests
{
    [Fact]
    public void FromElement_DuplicateMembers_LastWinsAndStaysUsable()
    {
        using var doc = JsonDocument.Parse("""{"metadata":{"labels":{"a":"1","a":"2"}},"metadata":{"labels":{"b":"3","b":"4"}}}""");
        var node = JsonNodes.FromElement(doc.RootElement)!;
        Assert.Equal("4", node["metadata"]!["labels"]!["b"]!.GetValue<string>());
        var patched = StrategicMergePatch.Apply(new JsonObject(), node, TypeShape.Of(typeof(Cluster)));
        Assert.Equal("""{"metadata":{"labels":{"b":"4"}}}""", patched!.ToJsonString());
    }

    [Theory]
    [InlineData("""{"f:metadata":{"k:{broken":{}}}""")]
    [InlineData("""{"x:what":{}}""")]
    [InlineData("""{"f:spec":{"k:[1]":{}}}""")]
    public void FromFieldsV1_MalformedSegment_422(string fieldsV1)
    {
        var e = Assert.Throws<ApiStatusException>(() => FieldSet.FromFieldsV1(JsonNode.Parse(fieldsV1)!.AsObject()));
        Assert.Equal(422, e.Code);
    }
}
