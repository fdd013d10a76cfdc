using System.Net;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Webhooks;

/// <summary>
/// A webhook that cannot be reached: the real server denies, and logs one line naming the webhook and the cause,
/// without the credentials from the webhook's kubeconfig or its URL.
/// </summary>
public sealed class WebhookErrorLogTests : IAsyncLifetime
{
    private const string WebhookToken = "webhook-secret-token-1234";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cr-wherr-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly int _closedPort = ServerProcess.FreePort();
    private ServerProcess _server = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var config = Path.Combine(_dir, "authz.yaml");
        await File.WriteAllTextAsync(config, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: webhook
              cluster:
                server: http://hook:query-secret@127.0.0.1:{_closedPort}/authorize?key=query-secret
            users:
            - name: apiserver
              user:
                token: {WebhookToken}
            contexts:
            - name: webhook
              context: {"{"}cluster: webhook, user: apiserver{"}"}
            current-context: webhook

            """);
        _server = await ServerProcess.StartAsync(Path.Combine(_dir, "server"), null, true,
            "--anonymous-auth", "--authorization-mode", "Webhook", "--authorization-webhook-config-file", config,
            "--authorization-webhook-version", "v1");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task UnreachableAuthorizationWebhook_LogsWebhookAndCauseOnOneLineWithoutSecrets()
    {
        using var anonymous = _server.CreateClient(authenticated: false);

        using var response = await anonymous.GetAsync("/apis/clusterregistry.k8s.io/v1alpha1/clusters");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line;
        while ((line = _server.Output.Split('\n').FirstOrDefault(l => l.Contains("Authorization webhook", StringComparison.Ordinal))) is null)
            await Task.Delay(50, cts.Token);
        Assert.Contains($"Authorization webhook http://127.0.0.1:{_closedPort}/authorize failed, denying: ", line);
        Assert.Contains("Connection refused", line);
        Assert.DoesNotContain("query-secret", _server.Output);
        Assert.DoesNotContain(WebhookToken, _server.Output);
    }
}
