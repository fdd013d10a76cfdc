using System.Text.Json.Nodes;

namespace ClusterRegistry.Tests.EndToEnd.GitOps;

/// <summary>
/// The protobuf /openapi/v2 (what client-go's discovery client and kubectl 1.20 read), decoded with gnostic's
/// schema and compared with the JSON /openapi/v2 field by field.
/// </summary>
public sealed class OpenApiV2ProtobufTests(GitOpsFixture fx) : IClassFixture<GitOpsFixture>
{
    private const string ProtobufAccept = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

    private async Task<(byte[] Body, string? ETag)> GetAsync(string accept)
    {
        using var http = fx.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v2");
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadAsByteArrayAsync(), response.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task ProtobufDocument_DecodedWithGnosticSchema_EqualsJsonDocumentFieldByField()
    {
        var (protobuf, _) = await GetAsync(ProtobufAccept);
        var (json, _) = await GetAsync("application/json");

        var document = Openapi.V2.Document.Parser.ParseFrom(protobuf);
        var decoded = GnosticDecoder.WithoutProtoDefaults(GnosticDecoder.ToJson(document));
        var expected = GnosticDecoder.WithoutProtoDefaults(JsonNode.Parse(json));

        Assert.Contains(document.Definitions.AdditionalProperties, d => d.Name == "io.k8s.clusterregistry.v1alpha1.Cluster");
        Assert.Contains(document.Paths.Path, p => p.Name == "/apis/clusterregistry.k8s.io/v1alpha1/clusters/{name}");
        var differences = GnosticDecoder.Differences(expected, decoded).ToList();
        Assert.True(differences.Count == 0, string.Join("\n", differences.Take(20)));
    }

    [Fact]
    public async Task ProtobufAndJson_HaveTheirOwnETags()
    {
        var (_, protobufTag) = await GetAsync(ProtobufAccept);
        var (_, jsonTag) = await GetAsync("application/json");

        Assert.NotNull(protobufTag);
        Assert.NotNull(jsonTag);
        Assert.NotEqual(jsonTag, protobufTag);
    }
}
