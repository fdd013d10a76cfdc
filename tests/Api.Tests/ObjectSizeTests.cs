using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace ClusterRegistry.Tests.Http;

/// <summary>
/// Work and storage are bounded however a write is phrased: JSON patch "copy" operations may add at most 3 MiB (as
/// kube-apiserver's JSONPatchMaxCopyBytes), and no write of any kind stores an object above the one size limit every
/// backend shares (1,500,000 bytes). Each refusal leaves the stored object as it was.
/// </summary>
public sealed class ObjectSizeTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string ApplyPatch = "application/apply-patch+yaml";
    private readonly HttpClient _http = fixture.Client;

    [Fact]
    public async Task JsonPatch_CopyBomb_Returns422AndLeavesObjectUnchanged()
    {
        var name = Api.UniqueName("bomb");
        var before = await Api.CreateAsync(_http, name);
        // 2 KB of patch: one 1,000-element array, then 19 copies of the array into itself (2^19 × 1,000 elements).
        var ops = new StringBuilder("[{\"op\":\"add\",\"path\":\"/spec/bomb\",\"value\":[");
        ops.Append(string.Join(',', Enumerable.Repeat("0", 1000))).Append("]}");
        for (var i = 0; i < 19; i++) ops.Append(",{\"op\":\"copy\",\"from\":\"/spec/bomb\",\"path\":\"/spec/bomb/-\"}");
        ops.Append(']');

        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name), ops.ToString(), Api.JsonPatch);

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Contains("accumulated size increase of copy", Api.Message(status), StringComparison.Ordinal);
        await AssertUnchangedAsync(name, before);
    }

    [Fact]
    public async Task JsonPatch_SixtyCopiesOfALargeValue_Returns422AndLeavesObjectUnchanged()
    {
        var name = Api.UniqueName("copies");
        var before = await Api.CreateAsync(_http, WithConfig(name, new string('x', 200 * 1024)));
        var ops = string.Join(',', Enumerable.Range(0, 60).Select(i =>
            $"{{\"op\":\"copy\",\"from\":\"/spec/authInfo/providers/0/config/big0\",\"path\":\"/spec/authInfo/providers/0/config/c{i}\"}}"));

        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name), "[" + ops + "]", Api.JsonPatch);

        await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        await AssertUnchangedAsync(name, before);
    }

    [Fact]
    public async Task Create_ObjectAboveStoredLimit_Returns413AndStoresNothing()
    {
        var name = Api.UniqueName("huge");

        using var response = await _http.PostAsync(Api.Collection, Api.Body(WithConfig(name, new string('x', 1_600_000))));

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.RequestEntityTooLarge, "RequestEntityTooLarge");
        Assert.Contains("1500000", Api.Message(status), StringComparison.Ordinal);
        await Api.AssertAbsentAsync(_http, name);
    }

    [Theory]
    [InlineData(Api.MergePatch)]
    [InlineData(Api.StrategicMergePatch)]
    [InlineData(ApplyPatch)]
    public async Task Patch_GrowingAboveStoredLimit_Returns413AndLeavesObjectUnchanged(string contentType)
    {
        var name = Api.UniqueName("grow");
        var before = await Api.CreateAsync(_http, WithConfig(name, new string('x', 1_000_000)));
        var patch = contentType == ApplyPatch
            ? WithConfig(name, new string('y', 1_000_000), "big1").ToJsonString()
            : "{\"spec\":{\"authInfo\":{\"providers\":[{\"name\":\"p\",\"config\":{\"big0\":\"" + new string('x', 1_000_000)
              + "\",\"big1\":\"" + new string('y', 1_000_000) + "\"}}]}}}";
        var query = contentType == ApplyPatch ? "?fieldManager=size-test&force=true" : "";

        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name) + query, patch, contentType);

        await Api.AssertFailureAsync(response, HttpStatusCode.RequestEntityTooLarge, "RequestEntityTooLarge");
        await AssertUnchangedAsync(name, before);
    }

    [Fact]
    public async Task Update_GrowingAboveStoredLimit_Returns413AndLeavesObjectUnchanged()
    {
        var name = Api.UniqueName("put");
        var before = await Api.CreateAsync(_http, WithConfig(name, "small"));
        var body = WithConfig(name, new string('z', 1_600_000));
        body["metadata"]!["resourceVersion"] = Api.ResourceVersion(before);

        using var response = await Api.SendAsync(_http, HttpMethod.Put, Api.Item(name), body.ToJsonString());

        await Api.AssertFailureAsync(response, HttpStatusCode.RequestEntityTooLarge, "RequestEntityTooLarge");
        await AssertUnchangedAsync(name, before);
    }

    [Fact]
    public async Task JsonPatch_CopiesNestingADocumentDeeperAndDeeper_Returns422()
    {
        var name = Api.UniqueName("nest");
        var before = await Api.CreateAsync(_http, name);
        var ops = "[{\"op\":\"add\",\"path\":\"/spec/n\",\"value\":{}}"
                  + string.Concat(Enumerable.Repeat(",{\"op\":\"copy\",\"from\":\"/spec/n\",\"path\":\"/spec/n/n\"}", 300)) + "]";

        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name), ops, Api.JsonPatch);

        await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        await AssertUnchangedAsync(name, before);
    }

    [Fact]
    public async Task JsonPatch_AddsNestingDeeperThanABodyMay_Returns422()
    {
        var name = Api.UniqueName("deepadd");
        var before = await Api.CreateAsync(_http, name);
        var value = string.Concat(Enumerable.Repeat("{\"n\":", 200)) + "{}" + new string('}', 200);
        var path = "/spec/n";
        var ops = new List<string> { $"{{\"op\":\"add\",\"path\":\"{path}\",\"value\":{value}}}" };
        for (var i = 0; i < 20; i++)
        {
            path += string.Concat(Enumerable.Repeat("/n", 200));
            ops.Add($"{{\"op\":\"add\",\"path\":\"{path}\",\"value\":{value}}}");
        }

        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name), "[" + string.Join(',', ops) + "]", Api.JsonPatch);

        await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        await AssertUnchangedAsync(name, before);
    }

    [Theory]
    [InlineData(Api.MergePatch)]
    [InlineData(Api.StrategicMergePatch)]
    public async Task MergePatch_WithDeeplyNestedUnknownField_IsNotAServerError(string contentType)
    {
        var name = Api.UniqueName("deepmerge");
        await Api.CreateAsync(_http, name);
        var value = string.Concat(Enumerable.Repeat("{\"n\":", 100)) + "{}" + new string('}', 100);

        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name), "{\"spec\":{\"x\":" + value + "}}", contentType);

        Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private static JsonObject WithConfig(string name, string value, string key = "big0")
    {
        var cluster = Api.NewCluster(name);
        cluster["spec"]!["authInfo"] = new JsonObject
        {
            ["providers"] = new JsonArray(new JsonObject { ["name"] = "p", ["config"] = new JsonObject { [key] = value } }),
        };
        return cluster;
    }

    private async Task AssertUnchangedAsync(string name, System.Text.Json.JsonElement before)
    {
        var after = await Api.GetAsync(_http, name);
        Assert.Equal(Api.ResourceVersion(before), Api.ResourceVersion(after));
    }
}
