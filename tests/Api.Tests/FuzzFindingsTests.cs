using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ClusterRegistry.Tests.Http;

/// <summary>
/// Deterministic reproductions of what the fuzz test found: client input that must be answered with a 4xx Status,
/// never a 5xx or a body that is not a Status. (A NUL in the request target is refused by Kestrel's parser:
/// EndToEnd/Http/KestrelLimitsTests.)
/// </summary>
public sealed class FuzzFindingsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly HttpClient _http = fixture.Client;

    /// <summary>Asserts a 4xx answered with a kube Status whose code is the HTTP code; returns the body.</summary>
    private static async Task<JsonElement> AssertClientErrorStatusAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        var code = (int)response.StatusCode;
        Assert.True(code is >= 400 and < 500, $"expected a 4xx Status, got {code}:\n{text}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json",
            $"{code} with Content-Type '{response.Content.Headers.ContentType}' instead of a JSON Status:\n{text}");
        var status = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal("Status", status.GetProperty("kind").GetString());
        Assert.Equal("Failure", status.GetProperty("status").GetString());
        Assert.Equal(code, status.GetProperty("code").GetInt32());
        return status;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, byte[]? body = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        return await _http.SendAsync(request);
    }

    [Fact]
    public async Task Create_InvalidUtf8InsideJsonString_Returns4xxNotInternalError()
    {
        var name = Api.UniqueName("utf8");
        var json = Api.NewCluster(name, new Dictionary<string, string> { ["env"] = "XX" }).ToJsonString();
        var bytes = Encoding.UTF8.GetBytes(json);
        var at = json.IndexOf("XX", StringComparison.Ordinal);
        bytes[at] = 0xC3; // a two-byte lead followed by '(' is not UTF-8
        bytes[at + 1] = 0x28;

        using var response = await SendAsync(HttpMethod.Post, Api.Collection, bytes);

        await AssertClientErrorStatusAsync(response);
    }

    [Fact]
    public async Task Update_InvalidUtf8InsideJsonString_Returns4xxNotInternalError()
    {
        var name = Api.UniqueName("utf8u");
        var created = await Api.CreateAsync(_http, name);
        var cluster = Api.NewCluster(name, new Dictionary<string, string> { ["env"] = "XX" });
        cluster["metadata"]!["resourceVersion"] = Api.ResourceVersion(created);
        var json = cluster.ToJsonString();
        var bytes = Encoding.UTF8.GetBytes(json);
        bytes[json.IndexOf("XX", StringComparison.Ordinal)] = 0xFF;

        using var response = await SendAsync(HttpMethod.Put, Api.Item(name), bytes);

        await AssertClientErrorStatusAsync(response);
    }

    [Theory]
    [InlineData("""{"metadata":{"labels":{"$patch":true}}}""")]
    [InlineData("""{"metadata":{"labels":{"$patch":{}}}}""")]
    [InlineData("""{"metadata":{"labels":{"$patch":7}}}""")]
    [InlineData("""{"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"10.0.0.0/8","serverAddress":"x:1","$patch":-1.5}]}}}""")]
    [InlineData("""{"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":{},"serverAddress":"x:1"}]}}}""")]
    [InlineData("""{"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":false,"serverAddress":"x:1"}]}}}""")]
    [InlineData("""{"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[2049115]}}}""")]
    public async Task Patch_MalformedStrategicMergePatch_Returns4xxNotInternalError(string patch)
    {
        var name = Api.UniqueName("smp");
        await Api.CreateAsync(_http, name);

        using var response = await SendAsync(HttpMethod.Patch, Api.Item(name), Encoding.UTF8.GetBytes(patch), Api.StrategicMergePatch);

        await AssertClientErrorStatusAsync(response);
    }

    [Theory]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    [InlineData("POST")]
    public async Task Request_UnsupportedMethodOnGroupPath_ReturnsStatusJson(string method)
    {
        using var response = await SendAsync(new HttpMethod(method), "/apis/clusterregistry.k8s.io", Encoding.UTF8.GetBytes("{}"));

        await AssertClientErrorStatusAsync(response);
    }
}
