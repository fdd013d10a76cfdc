using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using static ClusterRegistry.Tests.EndToEnd.Security.SecurityAssert;

namespace ClusterRegistry.Tests.EndToEnd.Security;

/// <summary>
/// The kubeconfig-format webhook config files as kube-apiserver reads them: an HTTPS webhook trusted through
/// <c>certificate-authority-data</c>, an untrusted one, and <c>current-context</c> choosing the cluster.
/// </summary>
public sealed class WebhookKubeconfigTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cr-whcfg-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        return File.WriteAllTextAsync(Path.Combine(_dir, "tokens.csv"), AuthorizationPolicy.TokenFile);
    }

    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<WebhookServer> WebhookAsync(bool https, Func<JsonObject, (int, JsonObject?)> handler)
    {
        var webhook = await WebhookServer.StartAsync(https);
        webhook.Handler = handler;
        _owned.Add(webhook);
        return webhook;
    }

    private async Task<ServerProcess> ServerAsync(params string[] args)
    {
        var server = await ServerProcess.StartAsync(Path.Combine(_dir, "server-" + _owned.Count), null, false, args);
        _owned.Add(server);
        return server;
    }

    private string Tokens => Path.Combine(_dir, "tokens.csv");

    [Fact]
    public async Task TokenReview_HttpsWebhookTrustedByCertificateAuthorityData_AuthenticatesUser()
    {
        const string token = "https-webhook-token-0123456789";
        var webhook = await WebhookAsync(https: true, review => (200, new JsonObject
        {
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["kind"] = "TokenReview",
            ["status"] = review["spec"]?["token"]?.GetValue<string>() == token
                ? new JsonObject { ["authenticated"] = true, ["user"] = new JsonObject { ["username"] = "tls-user", ["groups"] = new JsonArray("tls") } }
                : new JsonObject { ["authenticated"] = false },
        }));
        var server = await ServerAsync("--authentication-token-webhook-config-file", webhook.WriteConfig(Path.Combine(_dir, "authn.yaml")));
        var kubectl = Kubeconfigs.Kubectl(Kubeconfigs.Write(server, _dir, "tls-user", token));

        var result = await kubectl.RunAsync("auth whoami -o json");

        Assert.True(result.ExitCode == 0, "kubectl auth whoami failed: " + result + "\nserver log:\n" + server.Output);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal("tls-user", doc.RootElement.GetProperty("status").GetProperty("userInfo").GetProperty("username").GetString());
        Assert.Contains(webhook.Received, r => r["spec"]?["token"]?.GetValue<string>() == token);
    }

    [Fact]
    public async Task Authorize_HttpsWebhookTrustedByCertificateAuthorityData_AllowsViewerList()
    {
        var webhook = await WebhookAsync(https: true, AuthorizationPolicy.Decide);
        var server = await ServerAsync("--token-auth-file", Tokens, "--authorization-mode", "Webhook",
            "--authorization-webhook-config-file", webhook.WriteConfig(Path.Combine(_dir, "authz.yaml")), "--authorization-webhook-version", "v1");
        using var viewer = server.CreateClient(AuthorizationPolicy.Viewer, null);

        using var response = await viewer.GetAsync(Collection);

        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}\nserver log:\n{server.Output}");
        Assert.Contains(webhook.Received, r => r["spec"]?["resourceAttributes"]?["verb"]?.GetValue<string>() == "list");
    }

    [Fact]
    public async Task Authorize_HttpsWebhookWithUntrustedCertificate_DeniesWithoutCallingIt()
    {
        var webhook = await WebhookAsync(https: true, AuthorizationPolicy.Decide);
        var otherCa = Pki.CreateCa("not-the-webhook-ca");
        var config = WebhookServer.WriteConfig(Path.Combine(_dir, "untrusted.yaml"), webhook.Url, otherCa.CertificatePem);
        var server = await ServerAsync("--token-auth-file", Tokens, "--authorization-mode", "Webhook",
            "--authorization-webhook-config-file", config, "--authorization-webhook-version", "v1");
        using var viewer = server.CreateClient(AuthorizationPolicy.Viewer, null);

        using var response = await viewer.GetAsync(Collection);

        await FailureAsync(response, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Empty(webhook.Received);
    }

    [Fact]
    public async Task Authorize_WebhookConfigWithCurrentContext_UsesTheCurrentContextsCluster()
    {
        var webhook = await WebhookAsync(https: false, AuthorizationPolicy.Decide);
        var closed = $"http://127.0.0.1:{ServerProcess.FreePort()}/closed";
        var config = Path.Combine(_dir, "two-contexts.yaml");
        await File.WriteAllTextAsync(config, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: stale
              cluster:
                server: {closed}
            - name: live
              cluster:
                server: {webhook.Url}
            users:
            - name: apiserver
              user: {"{}"}
            contexts:
            - name: stale
              context:
                cluster: stale
                user: apiserver
            - name: live
              context:
                cluster: live
                user: apiserver
            current-context: live

            """);
        var server = await ServerAsync("--token-auth-file", Tokens, "--authorization-mode", "Webhook",
            "--authorization-webhook-config-file", config, "--authorization-webhook-version", "v1");
        using var viewer = server.CreateClient(AuthorizationPolicy.Viewer, null);

        using var response = await viewer.GetAsync(Collection);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.NotEmpty(webhook.Received);
    }
}
