using System.Text.Json;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Http;

/// <summary>
/// Request targets that Kestrel would rewrite before routing (dot segments, encoded or not; empty names) and
/// methods that are not kube-apiserver's verbs: each is refused as kube-apiserver refuses it, and nothing stored is
/// touched. Sent byte for byte over a raw TLS socket, since HttpClient would normalize them away first.
/// </summary>
public sealed class RequestTargetTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly HttpClient _http = fixture.Client;

    [Theory]
    [InlineData("DELETE", "/clusters/{0}/..")]
    [InlineData("DELETE", "/clusters/{0}/%2e%2e")]
    [InlineData("DELETE", "/clusters/{0}/%2E%2e")]
    [InlineData("DELETE", "/clusters/{0}/.%2E")]
    [InlineData("DELETE", "/clusters/{0}/../")]
    [InlineData("DELETE", "/clusters/{0}/../?dryRun=")]
    [InlineData("DELETE", "/clusters/{0}/.")]
    [InlineData("DELETE", "/clusters/%2e")]
    [InlineData("DELETE", "/clusters/x/../../v1alpha1/clusters")]
    [InlineData("DELETE", "/clusters/../clusters")]
    [InlineData("DELETE", "/clusters/")]
    [InlineData("DELETE", "/clusters//")]
    [InlineData("DELETE", "//clusters")]
    [InlineData("GET", "/clusters/{0}/..")]
    [InlineData("GET", "/clusters/%2e%2e")]
    [InlineData("PUT", "/clusters/{0}/status/..")]
    [InlineData("PATCH", "/clusters/{0}/./status")]
    public async Task RewritablePath_Returns404AndDeletesNothing(string method, string suffix)
    {
        var (first, second) = await CreateSentinelsAsync();
        var target = Api.GroupVersionPath + string.Format(System.Globalization.CultureInfo.InvariantCulture, suffix, first);
        var body = method is "PUT" or "PATCH" ? "{}" : null;

        var response = await RawHttp.SendAsync(fixture.Server.Port, method, target, fixture.Server.Token, body,
            method == "PATCH" ? Api.MergePatch : Api.Json);

        Assert.Equal(404, response.StatusCode);
        var status = JsonDocument.Parse(response.Body).RootElement;
        Assert.Equal("Status", status.GetProperty("kind").GetString());
        Assert.Equal("NotFound", status.GetProperty("reason").GetString());
        await Api.GetAsync(_http, first);
        await Api.GetAsync(_http, second);
    }

    [Theory]
    [InlineData("/apis/..")]
    [InlineData("/apis/%2e%2e/apis")]
    [InlineData("/version/..")]
    public async Task DotSegmentOutsideTheGroup_IsPlain404(string target)
    {
        var response = await RawHttp.SendAsync(fixture.Server.Port, "GET", target, fixture.Server.Token);
        Assert.Equal(404, response.StatusCode);
        Assert.Equal("404 page not found\n", response.Body);
    }

    [Theory]
    [InlineData("/apis/")]
    [InlineData("/apis/clusterregistry.k8s.io/")]
    [InlineData("/apis/clusterregistry.k8s.io/v1alpha1/")]
    public async Task DiscoveryWithTrailingSlash_IsStillServed(string target)
    {
        var response = await RawHttp.SendAsync(fixture.Server.Port, "GET", target, fixture.Server.Token);
        Assert.Equal(200, response.StatusCode);
    }

    [Theory]
    [InlineData("delete")]
    [InlineData("Delete")]
    [InlineData("get")]
    public async Task MethodNotInUpperCase_Returns405AndDeletesNothing(string method)
    {
        var (first, _) = await CreateSentinelsAsync();

        var response = await RawHttp.SendAsync(fixture.Server.Port, method, Api.Item(first), fixture.Server.Token);

        Assert.Equal(405, response.StatusCode);
        Assert.Equal("MethodNotAllowed", JsonDocument.Parse(response.Body).RootElement.GetProperty("reason").GetString());
        await Api.GetAsync(_http, first);
    }

    private async Task<(string, string)> CreateSentinelsAsync()
    {
        var first = Api.UniqueName("target");
        var second = Api.UniqueName("target");
        await Api.CreateAsync(_http, first);
        await Api.CreateAsync(_http, second);
        return (first, second);
    }
}
