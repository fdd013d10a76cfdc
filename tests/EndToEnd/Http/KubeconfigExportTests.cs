using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Tests.EndToEnd.Security;

namespace ClusterRegistry.Tests.EndToEnd.Http;

/// <summary>
/// The kubeconfig export (clusters/{name}/kubeconfig and the merged clusters/-/kubeconfig) against a real server
/// with webhook authorization (<see cref="AuthorizationPolicy"/>: "editor" may do anything with clusters, "viewer"
/// may get/list/watch clusters but no subresource). The test client connects from 127.0.0.1; the registered
/// endpoints are never contacted.
/// </summary>
public sealed class KubeconfigExportTests(AuthorizationWebhookFixture fx) : IClassFixture<AuthorizationWebhookFixture>
{
    private static readonly string CaPem = Pki.CreateCa("exported-cluster-ca").CertificatePem;

    private static string Kubeconfig(string name) => Api.Item(name) + "/kubeconfig";
    private static string Merged(string query) => Api.Collection + "/-/kubeconfig?" + query;

    private static JsonObject ClusterWith(string name, IDictionary<string, string>? labels, params (string Cidr, string Address)[] endpoints)
    {
        var cluster = Api.NewCluster(name, labels);
        var spec = cluster["spec"]!["kubernetesApiEndpoints"]!.AsObject();
        spec["serverEndpoints"] = new JsonArray(endpoints.Select(e => (JsonNode)new JsonObject { ["clientCIDR"] = e.Cidr, ["serverAddress"] = e.Address }).ToArray());
        spec["caBundle"] = Pki.Base64(CaPem);
        cluster["spec"]!["authInfo"] = new JsonObject
        {
            ["providers"] = new JsonArray(new JsonObject
            {
                ["name"] = "corp-sso",
                ["type"] = new JsonObject { ["name"] = "oidc" },
                ["config"] = new JsonObject
                {
                    ["client-id"] = "kubectl",
                    ["idp-issuer-url"] = "https://idp.example.com",
                    ["client-secret"] = "do-not-leak-1",
                    ["refresh-token"] = "do-not-leak-2",
                    ["id-token"] = "do-not-leak-3",
                    ["access-token"] = "do-not-leak-4",
                },
            }),
        };
        return cluster;
    }

    /// <summary>The example: 0.0.0.0/0 listed first, the loopback /8 second; the caller is 127.0.0.1.</summary>
    private async Task<string> CreateLoopbackClusterAsync(IDictionary<string, string>? labels = null, string prefix = "kc")
    {
        var name = SecurityAssert.UniqueName(prefix);
        using var editor = fx.Client(AuthorizationPolicy.Editor);
        await Api.CreateAsync(editor, ClusterWith(name, labels, ("0.0.0.0/0", "10.0.0.1:6443"), ("127.0.0.0/8", "https://127.0.0.1:1234")));
        return name;
    }

    private static async Task<JsonElement> OkJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        Assert.Equal(Api.Json, response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task Get_LoopbackCaller_MostSpecificEndpointCaAndAuthProviderWithoutSecrets()
    {
        var name = await CreateLoopbackClusterAsync();
        using var editor = fx.Client(AuthorizationPolicy.Editor);
        using var response = await editor.GetAsync(Kubeconfig(name));
        var config = await OkJsonAsync(response);
        var raw = config.GetRawText();

        Assert.Equal(("v1", "Config"), (config.GetProperty("apiVersion").GetString(), config.GetProperty("kind").GetString()));
        var cluster = Assert.Single(config.GetProperty("clusters").EnumerateArray());
        Assert.Equal(name, cluster.GetProperty("name").GetString());
        Assert.Equal("https://127.0.0.1:1234", cluster.GetProperty("cluster").GetProperty("server").GetString());
        Assert.Equal(CaPem, Encoding.ASCII.GetString(cluster.GetProperty("cluster").GetProperty("certificate-authority-data").GetBytesFromBase64()));

        var user = Assert.Single(config.GetProperty("users").EnumerateArray());
        var provider = user.GetProperty("user").GetProperty("auth-provider");
        Assert.Equal("oidc", provider.GetProperty("name").GetString());
        Assert.Equal(["client-id", "idp-issuer-url"], provider.GetProperty("config").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("do-not-leak", raw);
        Assert.Equal(["auth-provider"], user.GetProperty("user").EnumerateObject().Select(p => p.Name));

        var context = Assert.Single(config.GetProperty("contexts").EnumerateArray());
        Assert.Equal((name, name, user.GetProperty("name").GetString()),
            (context.GetProperty("name").GetString(), context.GetProperty("context").GetProperty("cluster").GetString(), context.GetProperty("context").GetProperty("user").GetString()));
        Assert.Equal(name, config.GetProperty("current-context").GetString());

        var warnings = response.Headers.GetValues("Warning").ToList();
        Assert.Contains(warnings, w => w.Contains("\\\"client-secret\\\"") || w.Contains("client-secret"));
        Assert.DoesNotContain(warnings, w => w.Contains("do-not-leak"));
    }

    [Fact]
    public async Task Get_NoSpecificCidrContainsCaller_CatchAllEndpointWithHttpsAdded()
    {
        var name = SecurityAssert.UniqueName("kc-any");
        using var editor = fx.Client(AuthorizationPolicy.Editor);
        await Api.CreateAsync(editor, ClusterWith(name, null, ("10.0.0.0/8", "10.1.1.1:6443"), ("0.0.0.0/0", "10.0.0.1:6443")));
        var config = await OkJsonAsync(await editor.GetAsync(Kubeconfig(name)));
        Assert.Equal("https://10.0.0.1:6443", config.GetProperty("clusters")[0].GetProperty("cluster").GetProperty("server").GetString());
    }

    [Fact]
    public async Task Get_NoEndpointForCaller_Returns400BadRequest()
    {
        var name = SecurityAssert.UniqueName("kc-none");
        using var editor = fx.Client(AuthorizationPolicy.Editor);
        await Api.CreateAsync(editor, ClusterWith(name, null, ("10.0.0.0/8", "10.1.1.1:6443")));
        var status = await Api.AssertFailureAsync(await editor.GetAsync(Kubeconfig(name)), HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains("127.0.0.1", Api.Message(status));
    }

    [Fact]
    public async Task Get_UnknownCluster_Returns404()
    {
        using var editor = fx.Client(AuthorizationPolicy.Editor);
        var status = await Api.AssertFailureAsync(await editor.GetAsync(Kubeconfig("no-such-cluster")), HttpStatusCode.NotFound, "NotFound");
        Assert.Equal("clusters.clusterregistry.k8s.io \"no-such-cluster\" not found", Api.Message(status));
    }

    [Fact]
    public async Task Get_AcceptYaml_ReturnsYamlKubeconfig()
    {
        var name = await CreateLoopbackClusterAsync();
        using var editor = fx.Client(AuthorizationPolicy.Editor);
        using var response = await Api.SendAsync(editor, HttpMethod.Get, Kubeconfig(name), accept: "application/yaml");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("application/yaml", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("kind: Config", text);
        Assert.Contains("server: https://127.0.0.1:1234", text);
    }

    [Fact]
    public async Task Merged_LabelSelector_OneContextPerSelectedClusterAndNoCurrentContext()
    {
        var label = new Dictionary<string, string> { ["fleet"] = Api.UniqueValue() };
        var a = await CreateLoopbackClusterAsync(label, "kc-a");
        var b = await CreateLoopbackClusterAsync(label, "kc-b");
        await CreateLoopbackClusterAsync(null, "kc-other");
        using var editor = fx.Client(AuthorizationPolicy.Editor);

        var config = await OkJsonAsync(await editor.GetAsync(Merged("labelSelector=" + Api.Enc("fleet=" + label["fleet"]))));

        Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal), config.GetProperty("contexts").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal(2, config.GetProperty("clusters").GetArrayLength());
        Assert.All(config.GetProperty("clusters").EnumerateArray(), c => Assert.Equal("https://127.0.0.1:1234", c.GetProperty("cluster").GetProperty("server").GetString()));
        Assert.Equal(2, config.GetProperty("users").GetArrayLength());
        Assert.False(config.TryGetProperty("current-context", out _));
        Assert.DoesNotContain("do-not-leak", config.GetRawText());
    }

    [Fact]
    public async Task Get_WatchTrue_Returns405()
    {
        var name = await CreateLoopbackClusterAsync();
        using var editor = fx.Client(AuthorizationPolicy.Editor);
        await Api.AssertFailureAsync(await editor.GetAsync(Kubeconfig(name) + "?watch=true"), HttpStatusCode.MethodNotAllowed, "MethodNotAllowed");
        await Api.AssertFailureAsync(await editor.GetAsync(Merged("watch=true")), HttpStatusCode.MethodNotAllowed, "MethodNotAllowed");
    }

    [Fact]
    public async Task Merged_MalformedLabelSelector_Returns400()
    {
        using var editor = fx.Client(AuthorizationPolicy.Editor);
        await Api.AssertFailureAsync(await editor.GetAsync(Merged("labelSelector=" + Api.Enc("a===b"))), HttpStatusCode.BadRequest, "BadRequest");
    }

    [Fact]
    public async Task Authorization_ViewerMayGetClusterButNotItsKubeconfig()
    {
        var name = await CreateLoopbackClusterAsync();
        using var viewer = fx.Client(AuthorizationPolicy.Viewer);
        using (var get = await viewer.GetAsync(Api.Item(name)))
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);

        var status = await Api.AssertFailureAsync(await viewer.GetAsync(Kubeconfig(name)), HttpStatusCode.Forbidden, "Forbidden");
        Assert.Equal(AuthorizationPolicy.Forbidden("viewer", "get", name, "kubeconfig"), Api.Message(status));
        Assert.DoesNotContain("do-not-leak", status.GetRawText());

        // The merged form reveals which clusters exist: it is a list of clusters/kubeconfig, not a get of "-".
        var merged = await Api.AssertFailureAsync(await viewer.GetAsync(Merged("labelSelector=x%3Dy")), HttpStatusCode.Forbidden, "Forbidden");
        Assert.Equal(AuthorizationPolicy.Forbidden("viewer", "list", null, "kubeconfig"), Api.Message(merged));
        Assert.Contains(fx.Webhook.Received, r => r["spec"]?["resourceAttributes"] is JsonObject ra
            && ra["verb"]?.GetValue<string>() == "list" && ra["subresource"]?.GetValue<string>() == "kubeconfig" && (ra["name"]?.GetValue<string>() ?? "") == "");
    }

    [Fact]
    public async Task Kubectl_GetRaw_OutputIsAKubeconfigKubectlAccepts()
    {
        var name = await CreateLoopbackClusterAsync();
        var kubectl = fx.Kubectl("editor", AuthorizationPolicy.Editor);
        var raw = await kubectl.RunAsync($"get --raw /apis/clusterregistry.k8s.io/v1alpha1/clusters/{name}/kubeconfig");
        Assert.True(raw.ExitCode == 0, raw.ToString());

        var file = Path.Combine(fx.Dir, "exported-" + name);
        await File.WriteAllTextAsync(file, raw.Stdout);
        var view = await new Infrastructure.Kubectl(Infrastructure.Kubectl.V132, file, file + "-cache")
            .RunAsync("config view -o jsonpath={.current-context}/{.clusters[0].cluster.server}/{.users[0].user.auth-provider.name}");
        Assert.True(view.ExitCode == 0, view.ToString());
        Assert.Equal($"{name}/https://127.0.0.1:1234/oidc", view.Stdout.Trim());
    }

    [Fact]
    public async Task Discovery_ListsKubeconfigSubresource_LegacyAndAggregated()
    {
        using var editor = fx.Client(AuthorizationPolicy.Editor);
        var legacy = await OkJsonAsync(await editor.GetAsync(Api.GroupVersionPath));
        var resource = Assert.Single(legacy.GetProperty("resources").EnumerateArray(), r => r.GetProperty("name").GetString() == "clusters/kubeconfig");
        Assert.Contains("get", resource.GetProperty("verbs").EnumerateArray().Select(v => v.GetString()));

        using var response = await Api.SendAsync(editor, HttpMethod.Get, "/apis", accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
        var aggregated = await Api.ReadJsonAsync(response);
        var group = Assert.Single(aggregated.GetProperty("items").EnumerateArray(), g => g.GetProperty("metadata").GetProperty("name").GetString() == Api.Group);
        var clusters = Assert.Single(group.GetProperty("versions")[0].GetProperty("resources").EnumerateArray());
        var sub = Assert.Single(clusters.GetProperty("subresources").EnumerateArray(), s => s.GetProperty("subresource").GetString() == "kubeconfig");
        Assert.Contains("get", sub.GetProperty("verbs").EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public async Task OpenApi_V2AndV3_DescribeBothPathsWithTheConfigSchema()
    {
        using var editor = fx.Client(AuthorizationPolicy.Editor);
        var v2 = await OkJsonAsync(await editor.GetAsync("/openapi/v2"));
        var v3 = await OkJsonAsync(await editor.GetAsync("/openapi/v3/apis/clusterregistry.k8s.io/v1alpha1"));
        foreach (var path in new[] { "/clusters/{name}/kubeconfig", "/clusters/-/kubeconfig" })
        {
            Assert.True(v2.GetProperty("paths").TryGetProperty(Api.GroupVersionPath + path, out var p2), "v2 lacks " + path);
            Assert.Equal("#/definitions/io.k8s.client-go.tools.clientcmd.api.v1.Config",
                p2.GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("schema").GetProperty("$ref").GetString());
            Assert.True(v3.GetProperty("paths").TryGetProperty(Api.GroupVersionPath + path, out var p3), "v3 lacks " + path);
            Assert.True(p3.GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("application/json", out _));
        }
        Assert.True(v2.GetProperty("definitions").TryGetProperty("io.k8s.client-go.tools.clientcmd.api.v1.Config", out _));
    }
}
