using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using static ClusterRegistry.Tests.EndToEnd.Security.SecurityAssert;

namespace ClusterRegistry.Tests.EndToEnd.Security;

/// <summary>
/// A real server with --authorization-mode Webhook (SubjectAccessReview v1, allowed answers cached 1 h, denied
/// answers 1 s, anonymous on) against a real HTTP webhook server applying <see cref="AuthorizationPolicy"/>.
/// </summary>
public sealed class AuthorizationWebhookFixture : IAsyncLifetime
{
    public readonly string Dir = Path.Combine(Path.GetTempPath(), "cr-authz-" + Guid.NewGuid().ToString("N")[..12]);

    public ServerProcess Server { get; private set; } = null!;
    public WebhookServer Webhook { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Dir);
        Webhook = await WebhookServer.StartAsync(https: false);
        Webhook.Handler = AuthorizationPolicy.Decide;
        var tokens = Path.Combine(Dir, "tokens.csv");
        await File.WriteAllTextAsync(tokens, AuthorizationPolicy.TokenFile);
        Server = await ServerProcess.StartAsync(Path.Combine(Dir, "server"), null, false,
            "--token-auth-file", tokens, "--anonymous-auth",
            "--authorization-mode", "Webhook",
            "--authorization-webhook-config-file", Webhook.WriteConfig(Path.Combine(Dir, "authz-webhook.yaml")),
            "--authorization-webhook-version", "v1",
            "--authorization-webhook-cache-authorized-ttl", "01:00:00",
            "--authorization-webhook-cache-unauthorized-ttl", "00:00:01");
    }

    public HttpClient Client(string? token) => Server.CreateClient(token, null);

    public Kubectl Kubectl(string user, string token) => Kubeconfigs.Kubectl(Kubeconfigs.Write(Server, Dir, user, token));

    /// <summary>The reviews received whose resourceAttributes.name is <paramref name="name"/>.</summary>
    public List<JsonObject> ReviewsFor(string name) =>
        Webhook.Received.Where(r => r["spec"]?["resourceAttributes"]?["name"]?.GetValue<string>() == name).ToList();

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        if (Webhook is not null) await Webhook.DisposeAsync();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed class AuthorizationWebhookTests(AuthorizationWebhookFixture fx) : IClassFixture<AuthorizationWebhookFixture>
{
    private async Task CreateAsEditorAsync(string name)
    {
        using var editor = fx.Client(AuthorizationPolicy.Editor);
        using var response = await editor.PostAsync(Collection, Json(ClusterJson(name)));
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"editor create: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private async Task AssertExistsAsync(string name)
    {
        using var editor = fx.Client(AuthorizationPolicy.Editor);
        using var response = await editor.GetAsync(Item(name));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name} should still exist: {(int)response.StatusCode}");
    }

    // ------------------------------------------------------------------ viewer: reads allowed, writes 403

    [Fact]
    public async Task GetClusters_ViewerWithKubectl_ListsClusters()
    {
        var name = UniqueName("viewed");
        await CreateAsEditorAsync(name);
        var kubectl = fx.Kubectl("viewer", AuthorizationPolicy.Viewer);

        var list = await kubectl.RunAsync("get clusters.clusterregistry.k8s.io");
        var one = await kubectl.RunAsync($"get clusters.clusterregistry.k8s.io {name} -o json");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(name, list.Stdout);
        Assert.True(one.ExitCode == 0, one.ToString());
        using var doc = JsonDocument.Parse(one.Stdout);
        Assert.Equal(name, doc.RootElement.GetProperty("metadata").GetProperty("name").GetString());
    }

    [Fact]
    public async Task List_ViewerOverHttp_Returns200ClusterList()
    {
        using var viewer = fx.Client(AuthorizationPolicy.Viewer);

        using var response = await viewer.GetAsync(Collection);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("ClusterList", doc.RootElement.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Create_Viewer_Returns403WithKubeForbiddenMessageAndReason()
    {
        var name = UniqueName("nocreate");
        using var viewer = fx.Client(AuthorizationPolicy.Viewer);

        using var response = await viewer.PostAsync(Collection, Json(ClusterJson(name)));

        var status = await FailureAsync(response, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Equal(AuthorizationPolicy.Forbidden("viewer", "create"), status.GetProperty("message").GetString());
        var details = status.GetProperty("details");
        Assert.Equal("clusterregistry.k8s.io", details.GetProperty("group").GetString());
        Assert.Equal("clusters", details.GetProperty("kind").GetString());
        using var editor = fx.Client(AuthorizationPolicy.Editor);
        using var get = await editor.GetAsync(Item(name));
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task Create_ViewerWithKubectl_PrintsForbiddenMessage()
    {
        var name = UniqueName("kcreate");
        var kubectl = fx.Kubectl("viewer", AuthorizationPolicy.Viewer);

        var result = await kubectl.RunAsync("create -f -", stdin: ClusterJson(name));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Error from server (Forbidden)", result.Stderr);
        Assert.Contains(AuthorizationPolicy.Forbidden("viewer", "create"), result.Stderr);
    }

    [Fact]
    public async Task Delete_Viewer_Returns403WithNameInMessageAndKeepsObject()
    {
        var name = UniqueName("nodelete");
        await CreateAsEditorAsync(name);
        using var viewer = fx.Client(AuthorizationPolicy.Viewer);

        using var response = await viewer.DeleteAsync(Item(name));

        var status = await FailureAsync(response, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Equal(AuthorizationPolicy.Forbidden("viewer", "delete", name), status.GetProperty("message").GetString());
        Assert.Equal(name, status.GetProperty("details").GetProperty("name").GetString());
        await AssertExistsAsync(name);
    }

    [Fact]
    public async Task Delete_ViewerWithKubectl_PrintsForbiddenMessageWithName()
    {
        var name = UniqueName("kdelete");
        await CreateAsEditorAsync(name);
        var kubectl = fx.Kubectl("viewer", AuthorizationPolicy.Viewer);

        var result = await kubectl.RunAsync($"delete clusters.clusterregistry.k8s.io {name}");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"Error from server (Forbidden): {AuthorizationPolicy.Forbidden("viewer", "delete", name)}", result.Stderr);
        await AssertExistsAsync(name);
    }

    [Fact]
    public async Task Delete_ViewerOnMissingObject_Returns403NotNotFound()
    {
        // kube-apiserver authorizes before looking the object up: a denied user cannot probe for names.
        var name = UniqueName("missing");
        using var viewer = fx.Client(AuthorizationPolicy.Viewer);

        using var response = await viewer.DeleteAsync(Item(name));

        var status = await FailureAsync(response, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Equal(AuthorizationPolicy.Forbidden("viewer", "delete", name), status.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Patch_Viewer_Returns403AndChangesNothing()
    {
        var name = UniqueName("nopatch");
        await CreateAsEditorAsync(name);
        using var viewer = fx.Client(AuthorizationPolicy.Viewer);
        using var request = new HttpRequestMessage(HttpMethod.Patch, Item(name))
        {
            Content = Api.Body("""{"metadata":{"labels":{"patched":"yes"}}}""", Api.MergePatch),
        };

        using var response = await viewer.SendAsync(request);

        var status = await FailureAsync(response, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Equal(AuthorizationPolicy.Forbidden("viewer", "patch", name), status.GetProperty("message").GetString());
        using var editor = fx.Client(AuthorizationPolicy.Editor);
        var stored = await Api.GetAsync(editor, name);
        Assert.Null(Api.Label(stored, "patched"));
    }

    [Fact]
    public async Task GetStatus_Viewer_Returns403ForSubresource()
    {
        var name = UniqueName("nostatus");
        await CreateAsEditorAsync(name);
        using var viewer = fx.Client(AuthorizationPolicy.Viewer);

        using var response = await viewer.GetAsync(Item(name) + "/status");

        var status = await FailureAsync(response, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Equal(AuthorizationPolicy.Forbidden("viewer", "get", name, "status"), status.GetProperty("message").GetString());
        var review = Assert.Single(fx.ReviewsFor(name), r => r["spec"]?["resourceAttributes"]?["subresource"] is not null);
        Assert.Equal("status", review["spec"]!["resourceAttributes"]!["subresource"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_ViewerWithUndecodableBody_Returns403BeforeDecoding()
    {
        // kube-apiserver authorizes in a filter before any handler reads the body: a denied user gets 403, not 400.
        using var viewer = fx.Client(AuthorizationPolicy.Viewer);

        using var response = await viewer.PostAsync(Collection, Json("{this is not json"));

        var status = await FailureAsync(response, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Equal(AuthorizationPolicy.Forbidden("viewer", "create"), status.GetProperty("message").GetString());
    }

    // ------------------------------------------------------------------ kubectl auth can-i

    [Fact]
    public async Task CanI_ListClustersAsViewer_PrintsYes()
    {
        var kubectl = fx.Kubectl("viewer", AuthorizationPolicy.Viewer);

        var result = await kubectl.RunAsync("auth can-i list clusters.clusterregistry.k8s.io");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("yes", result.Stdout.Trim());
    }

    [Fact]
    public async Task CanI_CreateClustersAsViewer_PrintsNoAndExits1()
    {
        var kubectl = fx.Kubectl("viewer", AuthorizationPolicy.Viewer);

        var result = await kubectl.RunAsync("auth can-i create clusters.clusterregistry.k8s.io");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("no", result.Stdout.Trim());
    }

    // ------------------------------------------------------------------ the SubjectAccessReview payloads

    [Fact]
    public async Task SubjectAccessReview_GetByName_HasKubeV1ShapeWithName()
    {
        var name = UniqueName("sar-get");
        using var viewer = fx.Client(AuthorizationPolicy.Viewer);

        using var response = await viewer.GetAsync(Item(name));

        await FailureAsync(response, HttpStatusCode.NotFound, "NotFound");
        var review = Assert.Single(fx.ReviewsFor(name));
        Assert.Equal("authorization.k8s.io/v1", review["apiVersion"]?.GetValue<string>());
        Assert.Equal("SubjectAccessReview", review["kind"]?.GetValue<string>());
        var spec = review["spec"]!.AsObject();
        Assert.Equal(["groups", "resourceAttributes", "uid", "user"], Keys(spec));
        Assert.Equal("viewer", spec["user"]!.GetValue<string>());
        Assert.Equal("viewer-uid", spec["uid"]!.GetValue<string>());
        Assert.Equal(["readers", "system:authenticated"], Strings(spec["groups"]).Order(StringComparer.Ordinal).ToArray());
        var ra = spec["resourceAttributes"]!.AsObject();
        Assert.Equal(["group", "name", "resource", "verb", "version"], Keys(ra));
        Assert.Equal("get", ra["verb"]!.GetValue<string>());
        Assert.Equal("clusterregistry.k8s.io", ra["group"]!.GetValue<string>());
        Assert.Equal("v1alpha1", ra["version"]!.GetValue<string>());
        Assert.Equal("clusters", ra["resource"]!.GetValue<string>());
        Assert.Equal(name, ra["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("list")]
    [InlineData("create")]
    public async Task SubjectAccessReview_CollectionRequest_HasResourceAttributesWithoutName(string verb)
    {
        using var viewer = fx.Client(AuthorizationPolicy.Viewer);

        using var response = verb == "list"
            ? await viewer.GetAsync(Collection)
            : await viewer.PostAsync(Collection, Json(ClusterJson(UniqueName("sar-create"))));

        Assert.Equal(verb == "list" ? HttpStatusCode.OK : HttpStatusCode.Forbidden, response.StatusCode);
        var review = fx.Webhook.Received.First(r =>
            r["spec"]?["user"]?.GetValue<string>() == "viewer" && r["spec"]?["resourceAttributes"]?["verb"]?.GetValue<string>() == verb);
        Assert.Equal("authorization.k8s.io/v1", review["apiVersion"]?.GetValue<string>());
        Assert.Equal("SubjectAccessReview", review["kind"]?.GetValue<string>());
        Assert.Equal(["groups", "resourceAttributes", "uid", "user"], Keys(review["spec"]));
        var ra = review["spec"]!["resourceAttributes"]!;
        Assert.Equal(["group", "resource", "verb", "version"], Keys(ra));
        Assert.Equal("clusterregistry.k8s.io", ra["group"]!.GetValue<string>());
        Assert.Equal("v1alpha1", ra["version"]!.GetValue<string>());
        Assert.Equal("clusters", ra["resource"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/version")]
    [InlineData("/apis")]
    public async Task SubjectAccessReview_NonResourceRequest_SendsPathAndVerbGet(string path)
    {
        using var viewer = fx.Client(AuthorizationPolicy.Viewer);

        using var response = await viewer.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var review = fx.Webhook.Received.First(r =>
            r["spec"]?["user"]?.GetValue<string>() == "viewer" && r["spec"]?["nonResourceAttributes"]?["path"]?.GetValue<string>() == path);
        Assert.Equal("authorization.k8s.io/v1", review["apiVersion"]?.GetValue<string>());
        Assert.Equal(["groups", "nonResourceAttributes", "uid", "user"], Keys(review["spec"]));
        var nra = review["spec"]!["nonResourceAttributes"]!;
        Assert.Equal(["path", "verb"], Keys(nra));
        Assert.Equal(path, nra["path"]!.GetValue<string>());
        Assert.Equal("get", nra["verb"]!.GetValue<string>());
    }

    [Fact]
    public async Task SubjectAccessReview_AnonymousRequest_IsSystemAnonymousInSystemUnauthenticatedAndDenied()
    {
        using var anonymous = fx.Client(null);

        using var response = await anonymous.GetAsync(Collection);

        var status = await FailureAsync(response, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Equal(AuthorizationPolicy.Forbidden("system:anonymous", "list"), status.GetProperty("message").GetString());
        var review = fx.Webhook.Received.First(r => r["spec"]?["user"]?.GetValue<string>() == "system:anonymous");
        Assert.Equal(["system:unauthenticated"], Strings(review["spec"]!["groups"]));
    }

    // ------------------------------------------------------------------ caching

    [Fact]
    public async Task Cache_AllowedRequestTwiceWithinAuthorizedTtl_CallsWebhookOnce()
    {
        var name = UniqueName("cached");
        using var viewer = fx.Client(AuthorizationPolicy.Viewer);

        using var first = await viewer.GetAsync(Item(name));
        using var second = await viewer.GetAsync(Item(name));

        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, second.StatusCode);
        Assert.Single(fx.ReviewsFor(name));
    }

    [Fact]
    public async Task Cache_DeniedRequestAfterUnauthorizedTtl_IsAskedAgainAndStillDenied()
    {
        var name = UniqueName("recheck");
        using var denied = fx.Client(AuthorizationPolicy.Denied);

        using (var first = await denied.GetAsync(Item(name)))
            await FailureAsync(first, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Single(fx.ReviewsFor(name));

        await EventuallyAsync(async () =>
        {
            using var again = await denied.GetAsync(Item(name));
            await FailureAsync(again, HttpStatusCode.Forbidden, "Forbidden");
            if (fx.ReviewsFor(name).Count >= 2) return true;
            await Task.Delay(400);
            return false;
        }, "the denied answer to expire from the cache (1 s TTL) and the webhook to be asked again", TimeSpan.FromSeconds(20));
    }

    // ------------------------------------------------------------------ a misbehaving webhook denies

    [Theory]
    [InlineData(AuthorizationPolicy.Flaky, "flaky")]
    [InlineData(AuthorizationPolicy.Garbage, "garbage")]
    [InlineData(AuthorizationPolicy.Conflicted, "conflicted")]
    public async Task Request_WebhookErrorsOrContradicts_Returns403(string token, string user)
    {
        var name = UniqueName("failclosed");
        using var client = fx.Client(token);

        using var get = await client.GetAsync(Item(name));
        using var list = await client.GetAsync(Collection);
        using var create = await client.PostAsync(Collection, Json(ClusterJson(name)));

        foreach (var (response, verb) in new[] { (get, "get"), (list, "list"), (create, "create") })
        {
            var status = await FailureAsync(response, HttpStatusCode.Forbidden, "Forbidden");
            Assert.StartsWith(AuthorizationPolicy.Forbidden(user, verb, verb == "get" ? name : null, reason: ""), status.GetProperty("message").GetString());
        }
        using var editor = fx.Client(AuthorizationPolicy.Editor);
        using var check = await editor.GetAsync(Item(name));
        Assert.Equal(HttpStatusCode.NotFound, check.StatusCode);
    }

    [Fact]
    public async Task List_SystemMastersUser_IsAllowedWithoutAskingWebhook()
    {
        // kube-apiserver puts the system:masters group authorizer before every --authorization-mode.
        using var master = fx.Client(AuthorizationPolicy.Master);

        using var response = await master.GetAsync(Collection);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.DoesNotContain(fx.Webhook.Received, r => r["spec"]?["user"]?.GetValue<string>() == "master" && r["spec"]?["resourceAttributes"] is not null);
    }

    // ------------------------------------------------------------------ health needs no credentials

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/livez")]
    public async Task Health_NoCredentials_Returns200Ok(string path)
    {
        using var anonymous = fx.Client(null);

        using var response = await anonymous.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
    }
}
