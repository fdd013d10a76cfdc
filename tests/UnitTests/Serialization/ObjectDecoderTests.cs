using System.Text.Json;
using ClusterRegistry.Application.Serialization;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Tests.UnitTests.Serialization;

public sealed class ObjectDecoderTests
{
    private static JsonElement Json(string s) => JsonDocument.Parse(s).RootElement;

    [Fact]
    public void Decode_CaseOnlyMismatch_ReadAsCanonicalFieldWithWarning()
    {
        var warnings = new List<string>();
        var c = ObjectDecoder.Decode<Cluster>(Json("""{"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCidr":"0.0.0.0/0","serverAddress":"a"}]}}}"""),
            FieldValidationMode.Strict, ClusterResource.Info, warnings.Add);
        Assert.Equal("0.0.0.0/0", c.Spec!.KubernetesApiEndpoints!.ServerEndpoints![0].ClientCidr);
        Assert.Single(warnings);
    }

    [Fact]
    public void Decode_UnknownFieldsStrict_400ListingAll()
    {
        var e = Assert.Throws<ApiStatusException>(() => ObjectDecoder.Decode<Cluster>(
            Json("""{"spec":{"foo":1,"bar":2}}"""), FieldValidationMode.Strict, ClusterResource.Info, _ => { }));
        Assert.Equal(400, e.Code);
        Assert.Equal("Cluster in version \"v1alpha1\" cannot be handled as a Cluster: strict decoding error: unknown field \"spec.foo\", unknown field \"spec.bar\"", e.Message);
    }

    [Fact]
    public void Decode_UnknownFieldWarn_WarningAndFieldDropped()
    {
        var warnings = new List<string>();
        ObjectDecoder.Decode<Cluster>(Json("""{"spec":{"foo":1}}"""), FieldValidationMode.Warn, ClusterResource.Info, warnings.Add);
        Assert.Equal(["unknown field \"spec.foo\""], warnings);
    }

    [Fact]
    public void Decode_DuplicateFieldStrict_400()
    {
        var e = Assert.Throws<ApiStatusException>(() => ObjectDecoder.Decode<Cluster>(
            Json("""{"kind":"Cluster","kind":"Cluster"}"""), FieldValidationMode.Strict, ClusterResource.Info, _ => { }));
        Assert.Contains("duplicate field \"kind\"", e.Message);
    }

    [Fact]
    public void Decode_WrongType_400NotException()
    {
        var e = Assert.Throws<ApiStatusException>(() => ObjectDecoder.Decode<Cluster>(
            Json("""{"metadata":{"labels":"notamap"}}"""), FieldValidationMode.Ignore, ClusterResource.Info, _ => { }));
        Assert.Equal(400, e.Code);
    }

    // A body whose names are all exact and given once is decoded as it is; these check that every other body still
    // takes the walk (ADR-033).
    [Fact]
    public void Decode_RepeatedNameInsideAFreeFormValue_LastOneKeptAsTheWalkKeepsIt()
    {
        var c = ObjectDecoder.Decode<Cluster>(Json("""
            {"metadata":{"name":"a","managedFields":[{"manager":"m","fieldsV1":{"f:spec":{},"f:spec":{"f:x":{}}}}]}}
            """), FieldValidationMode.Strict, ClusterResource.Info, _ => { });
        var fields = c.Metadata.ManagedFields![0].FieldsV1!;
        Assert.Equal("""{"f:spec":{"f:x":{}}}""", fields.ToJsonString());
    }

    [Fact]
    public void Decode_CanonicalBody_SameObjectAsTheWalkGives()
    {
        const string canonical = """
            {"apiVersion":"clusterregistry.k8s.io/v1alpha1","kind":"Cluster","metadata":{"name":"a","labels":{"x":"y"},
             "annotations":{"n":"\u00e9\"q\""},"managedFields":[{"manager":"m","operation":"Update","fieldsV1":{"f:spec":{".":{}}}}]},
             "spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"0.0.0.0/0","serverAddress":"a:1"}],"caBundle":"AAEC"}}}
            """;
        // The same body with one name spelled in another case takes the walk (and warns); the objects are equal.
        var warnings = new List<string>();
        var fast = ObjectDecoder.Decode<Cluster>(Json(canonical), FieldValidationMode.Strict, ClusterResource.Info, warnings.Add);
        var walked = ObjectDecoder.Decode<Cluster>(Json(canonical.Replace("\"clientCIDR\"", "\"clientCidr\"")), FieldValidationMode.Strict,
            ClusterResource.Info, warnings.Add);
        Assert.Single(warnings);
        Assert.Equal(ApiJson.Serialize(walked), ApiJson.Serialize(fast));
    }
}
