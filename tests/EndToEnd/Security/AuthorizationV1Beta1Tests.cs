using System.Net;
using System.Text.Json.Nodes;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using static ClusterRegistry.Tests.EndToEnd.Security.SecurityAssert;

namespace ClusterRegistry.Tests.EndToEnd.Security;

/// <summary>
/// Two servers sharing one webhook: one with --authorization-webhook-version v1beta1 and one without the flag
/// (kube-apiserver's default is v1beta1 too).
/// </summary>
public sealed class AuthorizationV1Beta1Fixture : IAsyncLifetime
{
    public readonly string Dir = Path.Combine(Path.GetTempPath(), "cr-authz-b1-" + Guid.NewGuid().ToString("N")[..12]);

    public ServerProcess Explicit { get; private set; } = null!;
    public ServerProcess Default { get; private set; } = null!;
    public WebhookServer Webhook { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Dir);
        Webhook = await WebhookServer.StartAsync(https: false);
        Webhook.Handler = AuthorizationPolicy.Decide;
        var tokens = Path.Combine(Dir, "tokens.csv");
        await File.WriteAllTextAsync(tokens, AuthorizationPolicy.TokenFile);
        var config = Webhook.WriteConfig(Path.Combine(Dir, "authz-webhook.yaml"));
        Explicit = await ServerProcess.StartAsync(Path.Combine(Dir, "explicit"), null, false,
            "--token-auth-file", tokens, "--authorization-mode", "Webhook",
            "--authorization-webhook-config-file", config, "--authorization-webhook-version", "v1beta1");
        Default = await ServerProcess.StartAsync(Path.Combine(Dir, "default"), null, false,
            "--token-auth-file", tokens, "--authorization-mode", "Webhook", "--authorization-webhook-config-file", config);
    }

    public List<JsonObject> ReviewsFor(string name) =>
        Webhook.Received.Where(r => r["spec"]?["resourceAttributes"]?["name"]?.GetValue<string>() == name).ToList();

    public async Task DisposeAsync()
    {
        if (Explicit is not null) await Explicit.DisposeAsync();
        if (Default is not null) await Default.DisposeAsync();
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

public sealed class AuthorizationV1Beta1Tests(AuthorizationV1Beta1Fixture fx) : IClassFixture<AuthorizationV1Beta1Fixture>
{
    private ServerProcess Server(bool explicitFlag) => explicitFlag ? fx.Explicit : fx.Default;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SubjectAccessReview_V1Beta1_SendsGroupInsteadOfGroups(bool explicitFlag)
    {
        var name = UniqueName("b1get");
        using var viewer = Server(explicitFlag).CreateClient(AuthorizationPolicy.Viewer, null);

        using var response = await viewer.GetAsync(Item(name));

        await FailureAsync(response, HttpStatusCode.NotFound, "NotFound");
        var review = Assert.Single(fx.ReviewsFor(name));
        Assert.Equal("authorization.k8s.io/v1beta1", review["apiVersion"]?.GetValue<string>());
        Assert.Equal("SubjectAccessReview", review["kind"]?.GetValue<string>());
        var spec = review["spec"]!;
        Assert.Equal(["group", "resourceAttributes", "uid", "user"], Keys(spec));
        Assert.Equal(["readers", "system:authenticated"], Strings(spec["group"]).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("viewer", spec["user"]!.GetValue<string>());
        var ra = spec["resourceAttributes"]!;
        Assert.Equal(["group", "name", "resource", "verb", "version"], Keys(ra));
        Assert.Equal("get", ra["verb"]!.GetValue<string>());
        Assert.Equal(name, ra["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_ViewerWithV1Beta1Webhook_Returns403AndListIsAllowed()
    {
        using var viewer = fx.Explicit.CreateClient(AuthorizationPolicy.Viewer, null);

        using var list = await viewer.GetAsync(Collection);
        using var create = await viewer.PostAsync(Collection, Json(ClusterJson(UniqueName("b1create"))));

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var status = await FailureAsync(create, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Equal(AuthorizationPolicy.Forbidden("viewer", "create"), status.GetProperty("message").GetString());
    }

    [Fact]
    public async Task SubjectAccessReview_V1Beta1NonResource_SendsPathAndVerb()
    {
        using var viewer = fx.Explicit.CreateClient(AuthorizationPolicy.Viewer, null);

        using var response = await viewer.GetAsync("/version");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var review = fx.Webhook.Received.First(r => r["spec"]?["nonResourceAttributes"]?["path"]?.GetValue<string>() == "/version");
        Assert.Equal("authorization.k8s.io/v1beta1", review["apiVersion"]?.GetValue<string>());
        Assert.Equal(["group", "nonResourceAttributes", "uid", "user"], Keys(review["spec"]));
        Assert.Equal(["path", "verb"], Keys(review["spec"]!["nonResourceAttributes"]));
        Assert.Equal("get", review["spec"]!["nonResourceAttributes"]!["verb"]!.GetValue<string>());
    }
}
