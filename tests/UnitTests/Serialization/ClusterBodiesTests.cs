using System.Text.Json;
using ClusterRegistry.Application.Clusters;
using ClusterRegistry.Application.Serialization;
using ClusterRegistry.Domain.Clusters;

namespace ClusterRegistry.Tests.UnitTests.Serialization;

/// <summary>Regressions from the fuzz test: JSON nulls decode to Go's zero values instead of reaching validation as nulls.</summary>
public sealed class ClusterBodiesTests
{
    private static Cluster Decode(string json) =>
        ClusterBodies.Decode(JsonDocument.Parse(json).RootElement, FieldValidationMode.Strict, _ => { });

    [Fact]
    public void Decode_NullMetadata_EmptyMetadata()
    {
        var c = Decode("""{"apiVersion":"clusterregistry.k8s.io/v1alpha1","kind":"Cluster","metadata":null}""");
        Assert.NotNull(c.Metadata);
        Assert.Single(ClusterValidation.Validate(c), e => e.Field == "metadata.name");
    }

    [Fact]
    public void Decode_NullStringsInMaps_EmptyStrings()
    {
        var c = Decode("""
            {"apiVersion":"clusterregistry.k8s.io/v1alpha1","kind":"Cluster","metadata":{"name":"n","labels":{"env":null},"annotations":{"a":null}},
             "spec":{"authInfo":{"providers":[{"name":"p","config":{"k":null}}]}}}
            """);
        Assert.Equal("", c.Metadata.Labels!["env"]);
        Assert.Equal("", c.Metadata.Annotations!["a"]);
        Assert.Equal("", c.Spec!.AuthInfo!.Providers![0].Config!["k"]);
        Assert.Empty(ClusterValidation.Validate(c));
    }
}
