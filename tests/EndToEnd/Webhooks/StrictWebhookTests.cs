using System.Diagnostics;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using ClusterRegistry.Tests.EndToEnd.Security;

namespace ClusterRegistry.Tests.EndToEnd.Webhooks;

/// <summary>
/// The real server with a token webhook and an authorization webhook served by <c>strict_webhook.py</c>, a Python
/// http.server that reads bodies by Content-Length the way most simple webhooks do and refuses a chunked body.
/// </summary>
public sealed class StrictWebhookFixture : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cr-strict-" + Guid.NewGuid().ToString("N")[..12]);
    private Process? _webhook;

    public ServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var psi = new ProcessStartInfo("/usr/bin/python3", [Path.Combine(RepoRoot(), "tests", "EndToEnd", "Webhooks", "strict_webhook.py")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _webhook = Process.Start(psi) ?? throw new InvalidOperationException("could not start python3");
        _webhook.ErrorDataReceived += (_, _) => { };
        _webhook.BeginErrorReadLine();
        var port = await _webhook.StandardOutput.ReadLineAsync()
                   ?? throw new InvalidOperationException("strict_webhook.py exited before printing its port");
        var url = $"http://127.0.0.1:{port.Trim()}";
        Server = await ServerProcess.StartAsync(Path.Combine(_dir, "server"), null, false,
            "--authentication-token-webhook-config-file", WebhookServer.WriteConfig(Path.Combine(_dir, "authn.yaml"), url + "/authn", null),
            "--authorization-mode", "Webhook",
            "--authorization-webhook-config-file", WebhookServer.WriteConfig(Path.Combine(_dir, "authz.yaml"), url + "/authz", null),
            "--authorization-webhook-version", "v1");
    }

    public Kubectl Kubectl(string token) => Kubeconfigs.Kubectl(Kubeconfigs.Write(Server, _dir, "hooked", token));

    private static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "ClusterRegistry.sln"))) dir = Path.GetDirectoryName(dir)!;
        return dir;
    }

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        if (_webhook is { HasExited: false })
        {
            _webhook.Kill();
            await _webhook.WaitForExitAsync();
        }
        _webhook?.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

public sealed class StrictWebhookTests(StrictWebhookFixture fx) : IClassFixture<StrictWebhookFixture>
{
    [Fact]
    public async Task KubectlCreateAndGet_TokenAndAuthorizationFromContentLengthWebhook_Succeed()
    {
        var kubectl = fx.Kubectl("webhook-token");
        var name = SecurityAssert.UniqueName("strict");

        var create = await kubectl.RunAsync("create -f -", SecurityAssert.ClusterJson(name));
        var get = await kubectl.RunAsync($"get clusters.clusterregistry.k8s.io {name}");
        var whoami = await kubectl.RunAsync("auth whoami -o jsonpath={.status.userInfo.username}");

        Assert.True(create.ExitCode == 0, create + "\nserver log:\n" + fx.Server.Output);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains(name, get.Stdout);
        Assert.Equal("hooked", whoami.Stdout);
    }

    [Fact]
    public async Task KubectlGet_TokenTheWebhookRejects_IsUnauthorized()
    {
        var kubectl = fx.Kubectl("some-other-token");

        var get = await kubectl.RunAsync("get clusters.clusterregistry.k8s.io");

        Assert.NotEqual(0, get.ExitCode);
        Assert.Contains("You must be logged in to the server", get.Stderr);
    }
}
