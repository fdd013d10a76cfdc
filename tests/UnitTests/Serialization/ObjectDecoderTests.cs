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
}
