using System.Net;
using ClusterRegistry.Tests.EndToEnd.Http;

namespace ClusterRegistry.Tests.EndToEnd.Observability;

/// <summary>
/// <c>/metrics</c> of the real server: behind authentication like kube-apiserver's, in a text format Prometheus'
/// parser accepts, with kube-apiserver's series names and labels counting the requests the test makes.
/// </summary>
[Requires(Prerequisite.PrometheusParser)]
public sealed class MetricsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Group = "clusterregistry.k8s.io";

    private async Task<PrometheusScrape> ScrapeAsync()
    {
        using var response = await fixture.Client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await PrometheusScrape.ParseAsync(text);
    }

    private static (string, string)[] Resource(string verb, string code) =>
        [("verb", verb), ("group", Group), ("version", "v1alpha1"), ("resource", "clusters"), ("component", "apiserver"), ("code", code)];

    [Fact]
    public async Task Metrics_Unauthenticated_Is401()
    {
        using var anonymous = fixture.Server.CreateClient(authenticated: false);
        using var response = await anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("apiserver_request_total", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_AfterCreateGetListWatch_CountKubeApiserverSeries()
    {
        var before = await ScrapeAsync();
        var http = fixture.Client;
        var name = Api.UniqueName("metrics");
        await Api.CreateAsync(http, name);
        (await http.GetAsync(Api.Item(name))).EnsureSuccessStatusCode();
        (await http.GetAsync(Api.Collection)).EnsureSuccessStatusCode();
        (await http.GetAsync(Api.Item("metrics-missing-object"))).Dispose();
        // A watch from "now" with the object's ADDED replayed (resourceVersion unset), ended by the server.
        var watch = await http.GetStringAsync(Api.Collection + "?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3D" + name);
        Assert.Contains("ADDED", watch);

        var after = await ScrapeAsync();

        // Types as Prometheus reads them (its parser names counter families without _total).
        Assert.Equal("counter", after.Families["apiserver_request"]);
        Assert.Equal("histogram", after.Families["apiserver_request_duration_seconds"]);
        Assert.Equal("gauge", after.Families["apiserver_current_inflight_requests"]);
        Assert.Equal("gauge", after.Families["apiserver_longrunning_requests"]);
        Assert.Equal("gauge", after.Families["apiserver_storage_objects"]);
        Assert.Equal("counter", after.Families["apiserver_watch_events"]);
        Assert.Equal("histogram", after.Families["etcd_request_duration_seconds"]);

        double Increase(string series, params (string, string)[] labels) => after.Sum(series, labels) - before.Sum(series, labels);
        Assert.True(Increase("apiserver_request_total", Resource("POST", "201")) >= 1);
        Assert.True(Increase("apiserver_request_total", [.. Resource("GET", "200"), ("scope", "resource")]) >= 1);
        Assert.True(Increase("apiserver_request_total", Resource("GET", "404")) >= 1);
        Assert.True(Increase("apiserver_request_total", [.. Resource("LIST", "200"), ("scope", "cluster")]) >= 1);
        Assert.True(Increase("apiserver_request_total", Resource("WATCH", "200")) >= 1);
        // The scrape before this one is counted as a non-resource GET of /metrics.
        Assert.True(after.Sum("apiserver_request_total", ("verb", "GET"), ("subresource", "/metrics"), ("code", "200")) >= 1);

        // Every kube label is on the series, with kube's label names.
        var post = Assert.Single(after.Matching("apiserver_request_total", Resource("POST", "201")));
        foreach (var label in new[] { "verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component", "code" })
            Assert.True(post.Labels.ContainsKey(label), label);

        // Histograms carry kube's 23 request-duration buckets, plus +Inf.
        Assert.True(Increase("apiserver_request_duration_seconds_count", ("verb", "POST"), ("resource", "clusters")) >= 1);
        var buckets = after.Matching("apiserver_request_duration_seconds_bucket", Resource("POST", "201")[..^1]).Select(s => s.Labels["le"]).ToList();
        Assert.Equal(24, buckets.Count);
        Assert.Contains("+Inf", buckets);

        // This scrape is in flight while it is served; the ended watch is no longer running.
        Assert.True(after.Sum("apiserver_current_inflight_requests", ("request_kind", "readOnly")) >= 1);
        Assert.Equal(0, after.Sum("apiserver_longrunning_requests", ("verb", "WATCH"), ("resource", "clusters")));

        Assert.True(after.Sum("apiserver_storage_objects", ("resource", "clusters." + Group)) >= 1);
        Assert.True(Increase("apiserver_watch_events_total", ("group", Group), ("version", "v1alpha1"), ("resource", "clusters")) >= 1);
        Assert.True(Increase("etcd_request_duration_seconds_count", ("operation", "create"), ("type", "clusters." + Group), ("backend", "embedded")) >= 1);
        // Reads are served by the watch cache, so the store's own request count is checked on the write.
        Assert.True(Increase("etcd_requests_total", ("operation", "create"), ("backend", "embedded")) >= 1);
    }
}
