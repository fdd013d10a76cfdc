using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using static ClusterRegistry.Tests.EndToEnd.Security.SecurityAssert;

namespace ClusterRegistry.Tests.EndToEnd.Security;

/// <summary>
/// Two real servers over HTTPS: one with every authenticator (client CA, static token file, a TokenReview webhook
/// served by a real HTTP server in this process; anonymous off, the default) and one with --anonymous-auth.
/// (HTTPS webhooks with a certificate-authority-data are covered by <see cref="WebhookKubeconfigTests"/>.)
/// </summary>
public sealed class AuthenticationFixture : IAsyncLifetime
{
    public const string StaticToken = "static-token-0123456789abcdef";
    public const string WebhookToken = "webhook-token-fedcba9876543210";
    public const string RejectedWebhookToken = "webhook-token-rejected-000000";

    public readonly string Dir = Path.Combine(Path.GetTempPath(), "cr-authn-" + Guid.NewGuid().ToString("N")[..12]);

    public Issued ClientCa { get; } = Pki.CreateCa("client-ca");
    public ServerProcess Server { get; private set; } = null!;
    public ServerProcess AnonymousServer { get; private set; } = null!;
    public WebhookServer TokenWebhook { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Dir);
        TokenWebhook = await WebhookServer.StartAsync(https: false);
        TokenWebhook.Handler = review =>
        {
            var token = review["spec"]?["token"]?.GetValue<string>();
            var status = token == WebhookToken
                ? new JsonObject
                {
                    ["authenticated"] = true,
                    ["user"] = new JsonObject
                    {
                        ["username"] = "webhook-user",
                        ["uid"] = "wh-uid-1",
                        ["groups"] = new JsonArray("reviewed", "team-a"),
                    },
                }
                : new JsonObject { ["authenticated"] = false, ["error"] = "unknown token" };
            return (200, new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "TokenReview", ["status"] = status });
        };
        var caFile = Path.Combine(Dir, "client-ca.crt");
        await File.WriteAllTextAsync(caFile, ClientCa.CertificatePem);
        var tokenFile = Path.Combine(Dir, "tokens.csv");
        await File.WriteAllTextAsync(tokenFile, $"{StaticToken},bob,bob-uid-42,\"qa,release\"\n");
        var webhookConfig = TokenWebhook.WriteConfig(Path.Combine(Dir, "token-webhook.yaml"));

        Server = await ServerProcess.StartAsync(Path.Combine(Dir, "server"), null, false,
            "--client-ca-file", caFile, "--token-auth-file", tokenFile,
            "--authentication-token-webhook-config-file", webhookConfig,
            "--authentication-token-webhook-cache-ttl", "01:00:00");
        AnonymousServer = await ServerProcess.StartAsync(Path.Combine(Dir, "anonymous"), null, false,
            "--token-auth-file", tokenFile, "--anonymous-auth");
    }

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        if (AnonymousServer is not null) await AnonymousServer.DisposeAsync();
        if (TokenWebhook is not null) await TokenWebhook.DisposeAsync();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed class AuthenticationTests(AuthenticationFixture fx) : IClassFixture<AuthenticationFixture>
{
    private async Task<JsonElement> WhoamiAsync(ServerProcess server, string user, string? token = null, Issued? cert = null)
    {
        var kubectl = Kubeconfigs.Kubectl(Kubeconfigs.Write(server, fx.Dir, user, token, cert));
        var result = await kubectl.RunAsync("auth whoami -o json");
        Assert.True(result.ExitCode == 0, "kubectl auth whoami failed: " + result);
        using var doc = JsonDocument.Parse(result.Stdout);
        var review = doc.RootElement.Clone();
        Assert.Equal("SelfSubjectReview", review.GetProperty("kind").GetString());
        return review.GetProperty("status").GetProperty("userInfo");
    }

    private static string[] Groups(JsonElement userInfo) =>
        userInfo.TryGetProperty("groups", out var g) ? g.EnumerateArray().Select(e => e.GetString()!).ToArray() : [];

    [Fact]
    public async Task Whoami_ClientCertificateUser_ReportsCommonNameAndOrganizationsAsGroups()
    {
        var cert = Pki.IssueClient(fx.ClientCa, "CN=alice,O=dev,O=ops");

        var user = await WhoamiAsync(fx.Server, "alice", cert: cert);

        Assert.Equal("alice", user.GetProperty("username").GetString());
        Assert.Equal(["dev", "ops", "system:authenticated"], Groups(user).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task Get_ClientCertificateUserOverHttp_Returns200()
    {
        var cert = Pki.IssueClient(fx.ClientCa, "CN=alice,O=dev,O=ops");
        using var client = fx.Server.CreateClient(null, cert.Certificate);

        using var response = await client.GetAsync(Collection);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task Whoami_StaticTokenUser_ReportsUserUidAndGroupsFromTokenFile()
    {
        var user = await WhoamiAsync(fx.Server, "bob", token: AuthenticationFixture.StaticToken);

        Assert.Equal("bob", user.GetProperty("username").GetString());
        Assert.Equal("bob-uid-42", user.GetProperty("uid").GetString());
        Assert.Equal(["qa", "release", "system:authenticated"], Groups(user).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task Whoami_WebhookTokenUser_ReportsReviewedUserAndWebhookGotTokenReviewV1()
    {
        var user = await WhoamiAsync(fx.Server, "webhook", token: AuthenticationFixture.WebhookToken);

        Assert.Equal("webhook-user", user.GetProperty("username").GetString());
        Assert.Equal("wh-uid-1", user.GetProperty("uid").GetString());
        Assert.Equal(["reviewed", "system:authenticated", "team-a"], Groups(user).Order(StringComparer.Ordinal).ToArray());
        var reviews = fx.TokenWebhook.Received.Where(r => r["spec"]?["token"]?.GetValue<string>() == AuthenticationFixture.WebhookToken).ToList();
        Assert.NotEmpty(reviews);
        var review = reviews[0];
        Assert.Equal("authentication.k8s.io/v1", review["apiVersion"]?.GetValue<string>());
        Assert.Equal("TokenReview", review["kind"]?.GetValue<string>());
        Assert.Equal(AuthenticationFixture.WebhookToken, review["spec"]!["token"]!.GetValue<string>());
    }

    [Fact]
    public async Task Request_WebhookTokenTwiceWithinCacheTtl_CallsWebhookOnce()
    {
        // A token of its own, so that no other test has warmed the cache for it.
        var token = "webhook-token-cache-" + Guid.NewGuid().ToString("N");
        var previous = fx.TokenWebhook.Handler;
        int Count() => fx.TokenWebhook.Received.Count(r => r["spec"]?["token"]?.GetValue<string>() == token);
        using var client = fx.Server.CreateClient(token, null);
        fx.TokenWebhook.Handler = review => review["spec"]?["token"]?.GetValue<string>() == token
            ? (200, new JsonObject
            {
                ["apiVersion"] = "authentication.k8s.io/v1",
                ["kind"] = "TokenReview",
                ["status"] = new JsonObject { ["authenticated"] = true, ["user"] = new JsonObject { ["username"] = "cached-user", ["groups"] = new JsonArray() } },
            })
            : previous(review);
        try
        {
            using var first = await client.GetAsync(Collection);
            using var second = await client.GetAsync(Collection);

            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal(1, Count());
        }
        finally
        {
            fx.TokenWebhook.Handler = previous;
        }
    }

    [Fact]
    public async Task Request_TokenRejectedByWebhook_Returns401Unauthorized()
    {
        using var client = fx.Server.CreateClient(AuthenticationFixture.RejectedWebhookToken, null);

        using var response = await client.GetAsync(Collection);

        var status = await FailureAsync(response, HttpStatusCode.Unauthorized, "Unauthorized");
        Assert.Equal("Unauthorized", status.GetProperty("message").GetString());
        Assert.Contains(fx.TokenWebhook.Received, r => r["spec"]?["token"]?.GetValue<string>() == AuthenticationFixture.RejectedWebhookToken);
    }

    [Fact]
    public async Task Request_WrongToken_Returns401StatusUnauthorized()
    {
        using var client = fx.Server.CreateClient("not-a-known-token", null);

        using var response = await client.GetAsync(Collection);

        var status = await FailureAsync(response, HttpStatusCode.Unauthorized, "Unauthorized");
        Assert.Equal("Unauthorized", status.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Whoami_WrongTokenWithKubectl_PrintsYouMustBeLoggedIn()
    {
        var kubectl = Kubeconfigs.Kubectl(Kubeconfigs.Write(fx.Server, fx.Dir, "wrong", token: "not-a-known-token"));

        var result = await kubectl.RunAsync("auth whoami -o json");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error: You must be logged in to the server (Unauthorized)", result.Stderr);
    }

    [Fact]
    public async Task Request_NoCredentialsAnonymousOff_Returns401Unauthorized()
    {
        using var client = fx.Server.CreateClient(null, null);

        using var list = await client.GetAsync(Collection);
        using var whoami = await client.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews",
            Json("""{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"""));

        await FailureAsync(list, HttpStatusCode.Unauthorized, "Unauthorized");
        await FailureAsync(whoami, HttpStatusCode.Unauthorized, "Unauthorized");
    }

    [Fact]
    public async Task Whoami_NoCredentialsAnonymousOn_ReportsSystemAnonymousInSystemUnauthenticated()
    {
        // kubectl cannot be made to send no credentials (it prompts for a username), so this is the request
        // `kubectl auth whoami` sends, without an Authorization header.
        using var client = fx.AnonymousServer.CreateClient(null, null);

        using var response = await client.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews",
            Json("""{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},"status":{"userInfo":{}}}"""));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {text}");
        using var doc = JsonDocument.Parse(text);
        var user = doc.RootElement.GetProperty("status").GetProperty("userInfo");
        Assert.Equal("system:anonymous", user.GetProperty("username").GetString());
        Assert.Equal(["system:unauthenticated"], Groups(user));
    }

    [Fact]
    public async Task List_NoCredentialsAnonymousOn_IsAllowed()
    {
        using var client = fx.AnonymousServer.CreateClient(null, null);

        using var response = await client.GetAsync(Collection);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task Request_WrongTokenAnonymousOn_Returns401NotAnonymous()
    {
        using var client = fx.AnonymousServer.CreateClient("not-a-known-token", null);

        using var response = await client.GetAsync(Collection);

        await FailureAsync(response, HttpStatusCode.Unauthorized, "Unauthorized");
    }

    [Fact]
    public async Task Request_ClientCertificateFromAnotherCa_Returns401Unauthorized()
    {
        var otherCa = Pki.CreateCa("client-ca");
        var cert = Pki.IssueClient(otherCa, "CN=mallory,O=system:masters");
        using var client = fx.Server.CreateClient(null, cert.Certificate);

        using var response = await client.GetAsync(Collection);

        await FailureAsync(response, HttpStatusCode.Unauthorized, "Unauthorized");
    }

    [Fact]
    public async Task Whoami_ClientCertificateFromAnotherCaWithKubectl_IsNotAuthenticated()
    {
        var otherCa = Pki.CreateCa("client-ca");
        var cert = Pki.IssueClient(otherCa, "CN=mallory,O=system:masters");
        var kubectl = Kubeconfigs.Kubectl(Kubeconfigs.Write(fx.Server, fx.Dir, "mallory", clientCert: cert));

        var result = await kubectl.RunAsync("auth whoami -o json");

        Assert.NotEqual(0, result.ExitCode);
        Assert.DoesNotContain("mallory", result.Stdout);
        Assert.Contains("error: You must be logged in to the server (Unauthorized)", result.Stderr);
    }

    [Fact]
    public async Task Request_ClientCertificateWithoutClientAuthUsage_Returns401Unauthorized()
    {
        var cert = Pki.IssueClient(fx.ClientCa, "CN=serveronly,O=dev", clientAuth: false);
        using var client = fx.Server.CreateClient(null, cert.Certificate);

        using var response = await client.GetAsync(Collection);

        await FailureAsync(response, HttpStatusCode.Unauthorized, "Unauthorized");
    }

    [Fact]
    public async Task Request_ExpiredClientCertificate_Returns401Unauthorized()
    {
        var cert = Pki.IssueClient(fx.ClientCa, "CN=old,O=dev",
            notBefore: DateTimeOffset.UtcNow.AddDays(-10), notAfter: DateTimeOffset.UtcNow.AddDays(-1));
        using var client = fx.Server.CreateClient(null, cert.Certificate);

        using var response = await client.GetAsync(Collection);

        await FailureAsync(response, HttpStatusCode.Unauthorized, "Unauthorized");
    }

    [Fact]
    public async Task Request_ClientCertificateWithoutCommonName_Returns401Unauthorized()
    {
        var cert = Pki.IssueClient(fx.ClientCa, "O=dev");
        using var client = fx.Server.CreateClient(null, cert.Certificate);

        using var response = await client.GetAsync(Collection);

        await FailureAsync(response, HttpStatusCode.Unauthorized, "Unauthorized");
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/livez")]
    public async Task Health_NoCredentialsAnonymousOff_Returns200Ok(string path)
    {
        using var client = fx.Server.CreateClient(null, null);

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Start_GoDurationFlagValues_ServerStartsAndServes()
    {
        // kube-apiserver (and the original cluster-registry) take Go durations: 10s, 2m, 1h, 5m0s.
        var dir = Path.Combine(fx.Dir, "durations-" + Guid.NewGuid().ToString("N")[..8]);
        await using var server = await ServerProcess.StartAsync(dir, null, true,
            "--authentication-token-webhook-cache-ttl", "2m",
            "--authorization-webhook-cache-authorized-ttl", "1h",
            "--authorization-webhook-cache-unauthorized-ttl", "1s",
            "--request-timeout", "1m0s",
            "--compaction-interval", "5m");
        using var client = server.CreateClient();

        using var response = await client.GetAsync(Collection);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
