using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using k8s;
using k8s.Models;

namespace ClusterRegistry.Tests.EndToEnd.GitOps;

/// <summary>The committed OpenAPI documents, and server-side apply and full round trips through the official C# client.</summary>
public sealed class OpenApiAndClientTests(GitOpsFixture fx) : IClassFixture<GitOpsFixture>
{
    private const string Group = "clusterregistry.k8s.io";
    private const string Version = "v1alpha1";
    private const string Plural = "clusters";

    private static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "ClusterRegistry.sln"))) dir = Path.GetDirectoryName(dir)!;
        return dir;
    }

    [Theory]
    [InlineData("/openapi/v2", "swagger.json")]
    [InlineData("/openapi/v3/apis/clusterregistry.k8s.io/v1alpha1", "v3/apis__clusterregistry.k8s.io__v1alpha1_openapi.json")]
    public async Task CommittedOpenApi_MatchesWhatTheServerServes(string path, string file)
    {
        using var http = fx.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var served = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "api", "openapi-spec", file)));
        Assert.True(JsonNode.DeepEquals(served, committed),
            $"api/openapi-spec/{file} differs from {path}; regenerate with: dotnet run --project src/Api -- openapi-spec");
    }

    [Fact]
    public async Task OpenApiV3_AdvertisesPatchTypesAndListMapKeys()
    {
        using var http = fx.Server.CreateClient();
        var doc = JsonNode.Parse(await http.GetStringAsync("/openapi/v3/apis/clusterregistry.k8s.io/v1alpha1"))!;
        var patch = doc["paths"]!["/apis/clusterregistry.k8s.io/v1alpha1/clusters/{name}"]!["patch"]!;
        var types = patch["requestBody"]!["content"]!.AsObject().Select(kv => kv.Key).ToList();
        Assert.Contains("application/strategic-merge-patch+json", types);
        Assert.Contains("application/apply-patch+yaml", types);
        Assert.Contains(patch["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "fieldValidation");
        var endpoints = doc["components"]!["schemas"]!["io.k8s.clusterregistry.v1alpha1.KubernetesApiEndpoints"]!["properties"]!["serverEndpoints"]!;
        Assert.Equal("map", endpoints["x-kubernetes-list-type"]!.GetValue<string>());
        Assert.Equal("clientCIDR", endpoints["x-kubernetes-patch-merge-key"]!.GetValue<string>());
        var ca = doc["components"]!["schemas"]!["io.k8s.clusterregistry.v1alpha1.KubernetesApiEndpoints"]!["properties"]!["caBundle"]!;
        Assert.Equal("byte", ca["format"]!.GetValue<string>());
    }

    private Kubernetes Client() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(fx.Server.Kubeconfig));

    private static string Manifest(string name, string address) => JsonSerializer.Serialize(new
    {
        apiVersion = "clusterregistry.k8s.io/v1alpha1",
        kind = "Cluster",
        metadata = new { name },
        spec = new { kubernetesApiEndpoints = new { serverEndpoints = new[] { new { clientCIDR = "0.0.0.0/0", serverAddress = address } } } },
    });

    private static string Address(JsonElement cluster) =>
        cluster.GetProperty("spec").GetProperty("kubernetesApiEndpoints").GetProperty("serverEndpoints")[0].GetProperty("serverAddress").GetString()!;

    [Fact]
    public async Task CSharpClient_ApplyPatch_CreatesUpdatesConflictsAndForces()
    {
        using var client = Client();
        var created = await client.CustomObjects.PatchClusterCustomObjectAsync<JsonElement>(
            new V1Patch(Manifest("cs-apply", "a.example.com"), V1Patch.PatchType.ApplyPatch), Group, Version, Plural, "cs-apply", fieldManager: "csharp");
        Assert.Equal("a.example.com", Address(created));

        var updated = await client.CustomObjects.PatchClusterCustomObjectAsync<JsonElement>(
            new V1Patch(Manifest("cs-apply", "b.example.com"), V1Patch.PatchType.ApplyPatch), Group, Version, Plural, "cs-apply", fieldManager: "csharp");
        Assert.Equal("b.example.com", Address(updated));

        var conflict = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => client.CustomObjects.PatchClusterCustomObjectAsync<JsonElement>(
            new V1Patch(Manifest("cs-apply", "c.example.com"), V1Patch.PatchType.ApplyPatch), Group, Version, Plural, "cs-apply", fieldManager: "other"));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, conflict.Response.StatusCode);
        Assert.Contains("conflict with \\\"csharp\\\"", conflict.Response.Content);

        var forced = await client.CustomObjects.PatchClusterCustomObjectAsync<JsonElement>(
            new V1Patch(Manifest("cs-apply", "c.example.com"), V1Patch.PatchType.ApplyPatch), Group, Version, Plural, "cs-apply", fieldManager: "other", force: true);
        Assert.Equal("c.example.com", Address(forced));

        var missingManager = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => client.CustomObjects.PatchClusterCustomObjectAsync<JsonElement>(
            new V1Patch(Manifest("cs-apply", "d.example.com"), V1Patch.PatchType.ApplyPatch), Group, Version, Plural, "cs-apply"));
        Assert.Equal((System.Net.HttpStatusCode)422, missingManager.Response.StatusCode);
        Assert.Contains("fieldManager: Required value: is required for apply patch", missingManager.Response.Content);
    }

    [Fact]
    public async Task CSharpClient_EveryFieldSet_RoundTrips()
    {
        using var client = Client();
        using var key = System.Security.Cryptography.ECDsa.Create();
        using var cert = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=ca", key, System.Security.Cryptography.HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(cert.ExportCertificatePem()));
        var spec = JsonNode.Parse($$$"""
            {"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"0.0.0.0/0","serverAddress":"https://prod.example.com:6443"},
                                                          {"clientCIDR":"10.0.0.0/8","serverAddress":"10.0.0.1:6443"},
                                                          {"clientCIDR":"::/0","serverAddress":"[2001:db8::1]:6443"}],
                                       "caBundle":"{{{ca}}}"},
             "authInfo":{"providers":[{"name":"oidc","type":{"name":"oidc"},"config":{"issuer":"https://issuer.example.com","client-id":"registry"}}]}}
            """)!;
        var body = new JsonObject
        {
            ["apiVersion"] = "clusterregistry.k8s.io/v1alpha1",
            ["kind"] = "Cluster",
            ["metadata"] = new JsonObject
            {
                ["name"] = "every-field",
                ["labels"] = new JsonObject { ["env"] = "prod", ["example.com/tier"] = "gold" },
                ["annotations"] = new JsonObject { ["note"] = "multi\nline" },
                ["finalizers"] = new JsonArray("example.com/keep"),
            },
            ["spec"] = spec.DeepClone(),
        };
        var created = await client.CustomObjects.CreateClusterCustomObjectAsync<JsonElement>(body, Group, Version, Plural);
        var read = await client.CustomObjects.GetClusterCustomObjectAsync<JsonElement>(Group, Version, Plural, "every-field");
        Assert.True(JsonNode.DeepEquals(spec, JsonNode.Parse(read.GetProperty("spec").GetRawText())));
        Assert.Equal("multi\nline", read.GetProperty("metadata").GetProperty("annotations").GetProperty("note").GetString());
        Assert.Equal(created.GetProperty("metadata").GetProperty("uid").GetString(), read.GetProperty("metadata").GetProperty("uid").GetString());

        var status = JsonNode.Parse("""
            {"conditions":[{"type":"Ready","status":"True","lastHeartbeatTime":"2026-11-25T10:00:00Z","lastTransitionTime":"2026-11-24T10:00:00Z","reason":"Reachable","message":"API server answered"}]}
            """)!;
        await client.CustomObjects.PatchClusterCustomObjectStatusAsync<JsonElement>(
            new V1Patch(new JsonObject { ["status"] = status.DeepClone() }.ToJsonString(), V1Patch.PatchType.MergePatch), Group, Version, Plural, "every-field");
        var withStatus = await client.CustomObjects.GetClusterCustomObjectAsync<JsonElement>(Group, Version, Plural, "every-field");
        Assert.True(JsonNode.DeepEquals(status, JsonNode.Parse(withStatus.GetProperty("status").GetRawText())));
        Assert.True(JsonNode.DeepEquals(spec, JsonNode.Parse(withStatus.GetProperty("spec").GetRawText())));

        await client.CustomObjects.DeleteClusterCustomObjectAsync(Group, Version, Plural, "every-field");
        await client.CustomObjects.PatchClusterCustomObjectAsync<JsonElement>(
            new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), Group, Version, Plural, "every-field");
        var gone = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() =>
            client.CustomObjects.GetClusterCustomObjectAsync<JsonElement>(Group, Version, Plural, "every-field"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.Response.StatusCode);
    }
}
