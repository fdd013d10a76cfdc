using System.Net;
using ClusterRegistry.Tests.EndToEnd.Security;

namespace ClusterRegistry.Tests.EndToEnd.Observability;

/// <summary>
/// <c>/metrics</c> is a non-resource URL authorized like kube-apiserver's (<c>get</c> on path <c>/metrics</c>), here
/// by the SubjectAccessReview webhook of <see cref="AuthorizationWebhookFixture"/>; its round-trips show in
/// kube-apiserver's authorization webhook series.
/// </summary>
[Requires(Prerequisite.PrometheusParser)]
public sealed class MetricsAuthorizationTests(AuthorizationWebhookFixture fx) : IClassFixture<AuthorizationWebhookFixture>
{
    [Fact]
    public async Task Metrics_AnonymousUser_IsForbiddenByTheAuthorizer()
    {
        using var anonymous = fx.Client(null);
        using var response = await anonymous.GetAsync("/metrics");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("cannot get path \\\"/metrics\\\"", body);
        Assert.Contains(fx.Webhook.Received, r => r["spec"]?["nonResourceAttributes"]?["path"]?.GetValue<string>() == "/metrics");
    }

    [Fact]
    public async Task Metrics_AllowedUser_SeesAuthorizationWebhookSeries()
    {
        // One allowed round-trip and one that fails (the webhook answers 500 for "flaky", retried, then denied).
        using (var flaky = fx.Client(AuthorizationPolicy.Flaky))
            Assert.Equal(HttpStatusCode.Forbidden, (await flaky.GetAsync("/version")).StatusCode);
        using var viewer = fx.Client(AuthorizationPolicy.Viewer);
        using var response = await viewer.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);

        var scrape = await PrometheusScrape.ParseAsync(text);
        Assert.Equal("histogram", scrape.Families["apiserver_authorization_webhook_duration_seconds"]);
        Assert.True(scrape.Sum("apiserver_authorization_webhook_evaluations_total", ("name", "webhook"), ("result", "success")) >= 1);
        Assert.True(scrape.Sum("apiserver_authorization_webhook_evaluations_total", ("name", "webhook"), ("result", "error")) >= 1);
        Assert.True(scrape.Sum("apiserver_authorization_webhook_duration_seconds_count", ("name", "webhook"), ("result", "success")) >= 1);
        Assert.True(scrape.Sum("apiserver_request_total", ("subresource", "/version"), ("code", "403")) >= 1);
    }
}
