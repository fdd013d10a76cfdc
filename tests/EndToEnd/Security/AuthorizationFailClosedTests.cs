using System.Net;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using static ClusterRegistry.Tests.EndToEnd.Security.SecurityAssert;

namespace ClusterRegistry.Tests.EndToEnd.Security;

/// <summary>
/// Servers that must deny: a Webhook authorizer pointing at a closed port, one whose webhook is stopped while it
/// runs, and --authorization-mode AlwaysDeny.
/// </summary>
public sealed class DenyingServersFixture : IAsyncLifetime
{
    public readonly string Dir = Path.Combine(Path.GetTempPath(), "cr-deny-" + Guid.NewGuid().ToString("N")[..12]);

    public ServerProcess ClosedPort { get; private set; } = null!;
    public ServerProcess Stoppable { get; private set; } = null!;
    public ServerProcess AlwaysDeny { get; private set; } = null!;
    public WebhookServer Webhook { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Dir);
        var tokens = Path.Combine(Dir, "tokens.csv");
        await File.WriteAllTextAsync(tokens, AuthorizationPolicy.TokenFile);
        var closed = WebhookServer.WriteConfig(Path.Combine(Dir, "closed.yaml"), $"http://127.0.0.1:{ServerProcess.FreePort()}/authorize", null);
        ClosedPort = await ServerProcess.StartAsync(Path.Combine(Dir, "closed"), null, false,
            "--token-auth-file", tokens, "--authorization-mode", "Webhook", "--authorization-webhook-config-file", closed);
        Webhook = await WebhookServer.StartAsync(https: false);
        Webhook.Handler = AuthorizationPolicy.Decide;
        Stoppable = await ServerProcess.StartAsync(Path.Combine(Dir, "stoppable"), null, false,
            "--token-auth-file", tokens, "--authorization-mode", "Webhook",
            "--authorization-webhook-config-file", Webhook.WriteConfig(Path.Combine(Dir, "live.yaml")), "--authorization-webhook-version", "v1");
        AlwaysDeny = await ServerProcess.StartAsync(Path.Combine(Dir, "deny"), null, false,
            "--token-auth-file", tokens, "--authorization-mode", "AlwaysDeny");
    }

    public async Task DisposeAsync()
    {
        foreach (var s in new[] { ClosedPort, Stoppable, AlwaysDeny })
            if (s is not null) await s.DisposeAsync();
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

public sealed class AuthorizationFailClosedTests(DenyingServersFixture fx) : IClassFixture<DenyingServersFixture>
{
    private static async Task AssertAllDeniedAsync(ServerProcess server, string token, string user, string? reason)
    {
        var name = UniqueName("denied");
        using var client = server.CreateClient(token, null);

        using var list = await client.GetAsync(Collection);
        using var get = await client.GetAsync(Item(name));
        using var create = await client.PostAsync(Collection, Json(ClusterJson(name)));
        using var delete = await client.DeleteAsync(Item(name));

        foreach (var (response, verb, withName) in new[] { (list, "list", false), (get, "get", true), (create, "create", false), (delete, "delete", true) })
        {
            var status = await FailureAsync(response, HttpStatusCode.Forbidden, "Forbidden");
            var expected = AuthorizationPolicy.Forbidden(user, verb, withName ? name : null, reason: reason ?? "");
            if (reason is null) Assert.StartsWith(expected, status.GetProperty("message").GetString());
            else Assert.Equal(expected, status.GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task Request_WebhookOnClosedPort_Returns403ForEveryVerb()
    {
        await AssertAllDeniedAsync(fx.ClosedPort, AuthorizationPolicy.Editor, "editor", reason: null);
    }

    [Fact]
    public async Task Request_WebhookOnClosedPort_NonResourceIsDenied()
    {
        using var client = fx.ClosedPort.CreateClient(AuthorizationPolicy.Editor, null);

        using var response = await client.GetAsync("/apis");

        var status = await FailureAsync(response, HttpStatusCode.Forbidden, "Forbidden");
        Assert.StartsWith("forbidden: User \"editor\" cannot get path \"/apis\"", status.GetProperty("message").GetString());
    }

    [Fact]
    public async Task GetClusters_KubectlWithWebhookOnClosedPort_Fails()
    {
        var kubectl = Kubeconfigs.Kubectl(Kubeconfigs.Write(fx.ClosedPort, fx.Dir, "editor", AuthorizationPolicy.Editor));

        var result = await kubectl.RunAsync("get clusters.clusterregistry.k8s.io");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Forbidden", result.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Request_WebhookStoppedWhileServing_NewRequestsAreDenied()
    {
        using var editor = fx.Stoppable.CreateClient(AuthorizationPolicy.Editor, null);
        var before = UniqueName("alive");
        using (var allowed = await editor.GetAsync(Item(before)))
            Assert.Equal(HttpStatusCode.NotFound, allowed.StatusCode); // allowed by the webhook; the object does not exist

        await fx.Webhook.StopAsync();

        var name = UniqueName("afterstop");
        using var get = await editor.GetAsync(Item(name));
        using var create = await editor.PostAsync(Collection, Json(ClusterJson(name)));
        var getStatus = await FailureAsync(get, HttpStatusCode.Forbidden, "Forbidden");
        Assert.StartsWith(AuthorizationPolicy.Forbidden("editor", "get", name, reason: ""), getStatus.GetProperty("message").GetString());
        await FailureAsync(create, HttpStatusCode.Forbidden, "Forbidden");
    }

    [Fact]
    public async Task Request_AlwaysDeny_Returns403EverythingIsForbidden()
    {
        await AssertAllDeniedAsync(fx.AlwaysDeny, AuthorizationPolicy.Editor, "editor", reason: "Everything is forbidden.");
    }

    [Fact]
    public async Task SelfSubjectAccessReview_AlwaysDeny_Returns403()
    {
        using var client = fx.AlwaysDeny.CreateClient(AuthorizationPolicy.Editor, null);
        const string review = """
            {"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{},
             "spec":{"resourceAttributes":{"namespace":"default","verb":"list","group":"clusterregistry.k8s.io","resource":"clusters"}}}
            """;

        using var response = await client.PostAsync("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", Json(review));

        // AlwaysDeny also denies creating the review itself, as kube-apiserver does.
        await FailureAsync(response, HttpStatusCode.Forbidden, "Forbidden");
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/livez")]
    public async Task Health_DenyingServersWithoutCredentials_Return200Ok(string path)
    {
        foreach (var server in new[] { fx.ClosedPort, fx.AlwaysDeny })
        {
            using var anonymous = server.CreateClient(null, null);
            using var response = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }
    }
}
