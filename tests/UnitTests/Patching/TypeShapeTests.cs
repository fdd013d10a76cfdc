using System.Text.Json.Nodes;
using ClusterRegistry.Application.Patching;
using ClusterRegistry.Domain.Clusters;

namespace ClusterRegistry.Tests.UnitTests.Patching;

public sealed class TypeShapeTests
{
    private static readonly TypeShape Endpoints =
        TypeShape.Of(typeof(Cluster)).Child("spec")!.Child("kubernetesApiEndpoints")!.Child("serverEndpoints")!;

    private static JsonArray List(string json) => JsonNode.Parse(json)!.AsArray();
    private static JsonObject Key(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void IndexOf_TheFirstItemWithTheKey()
    {
        var list = List("""[{"clientCIDR":"a","serverAddress":"1"},{"clientCIDR":"b"},{"clientCIDR":"b","serverAddress":"2"}]""");
        Assert.Equal(ShapeKind.MapList, Endpoints.Kind);
        Assert.Equal(1, Endpoints.IndexOf(list, Key("""{"clientCIDR":"b"}""")));
        Assert.Equal(-1, Endpoints.IndexOf(list, Key("""{"clientCIDR":"c"}""")));
    }

    [Fact]
    public void IndexOf_AKeyFieldTheItemLacks_MatchesNull()
    {
        var list = List("""[{"serverAddress":"1"},{"clientCIDR":"a"}]""");
        Assert.Equal(0, Endpoints.IndexOf(list, Key("""{"clientCIDR":null}""")));
        Assert.Equal(0, Endpoints.IndexOf(list, Endpoints.KeyOf(list[0])));
    }

    [Fact]
    public void IndexOf_AKeyWithAFieldBeyondTheKeyFields_MatchesNoItem()
    {
        // KeyOf(item) never has such a field, so no item's key deep-equals this one.
        var list = List("""[{"clientCIDR":"a","serverAddress":"1"}]""");
        Assert.Equal(-1, Endpoints.IndexOf(list, Key("""{"clientCIDR":"a","serverAddress":"1"}""")));
    }

    [Fact]
    public void Child_KnownField_UnknownField_AndMapValue()
    {
        var cluster = TypeShape.Of(typeof(Cluster));
        Assert.Equal(ShapeKind.Struct, cluster.Child("metadata")!.Kind);
        Assert.Null(cluster.Child("noSuchField"));
        var labels = cluster.Child("metadata")!.Child("labels")!;
        Assert.Equal(ShapeKind.Map, labels.Kind);
        Assert.Same(labels.Child("any"), labels.Child("other"));
        Assert.Equal(ShapeKind.Atomic, labels.Child("any")!.Kind);
    }
}
