using System.IO.Compression;
using System.Net;
using System.Text.Json;

namespace ClusterRegistry.Tests.Http;

/// <summary>
/// Large responses are gzip-compressed for clients that accept it (kube-apiserver compresses above 128 KiB; kubectl
/// asks), with the same bytes inside as uncompressed; small responses and watch streams are never compressed. (kubectl
/// reading them: EndToEnd/Http/CompressedKubectlTests.)
/// </summary>
public sealed class ResponseCompressionTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private const int Objects = LargeClusters.Count;
    private readonly string _label = Api.UniqueValue();
    private string Selector => $"labelSelector=gzip%3D{_label}";

    public Task InitializeAsync() => LargeClusters.CreateAsync(fixture.Client, _label);

    public Task DisposeAsync() => Task.CompletedTask;

    private HttpClient Raw()
    {
        // No automatic decompression: the test sees what the server sent.
        var client = fixture.Server.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Accept-Encoding", "gzip");
        return client;
    }

    [Fact]
    public async Task LargeList_IsGzipped_AndHoldsTheUncompressedBytes()
    {
        using var raw = Raw();
        using var compressed = await raw.GetAsync($"{Api.Collection}?{Selector}");
        Assert.Equal(HttpStatusCode.OK, compressed.StatusCode);
        Assert.Equal(["gzip"], compressed.Content.Headers.ContentEncoding);
        var body = await Gunzip(compressed);

        using var plain = await fixture.Client.GetAsync($"{Api.Collection}?{Selector}");
        Assert.Empty(plain.Content.Headers.ContentEncoding);
        var plainBody = await plain.Content.ReadAsByteArrayAsync();
        Assert.True(plainBody.Length > 128 * 1024, $"the list is {plainBody.Length} bytes");
        Assert.Equal(plainBody, body);
        Assert.Equal(Objects, JsonDocument.Parse(body).RootElement.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task LargeTable_IsGzipped()
    {
        using var raw = Raw();
        using var response = await Api.SendAsync(raw, HttpMethod.Get, $"{Api.Collection}?{Selector}&includeObject=Object",
            accept: "application/json;as=Table;v=v1;g=meta.k8s.io");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
        var table = JsonDocument.Parse(await Gunzip(response)).RootElement;
        Assert.Equal("Table", table.GetProperty("kind").GetString());
        Assert.Equal(Objects, table.GetProperty("rows").GetArrayLength());
    }

    [Fact]
    public async Task SmallObject_IsNotCompressed()
    {
        using var raw = Raw();
        var list = await Api.ListAsync(fixture.Client, Selector + "&limit=1");
        var name = Api.Name(list.GetProperty("items")[0]);
        using var response = await raw.GetAsync(Api.Item(name));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.InRange(body.Length, 60_000, 128 * 1024);
        Assert.Equal(name, Api.Name(JsonDocument.Parse(body).RootElement));
    }

    [Fact]
    public async Task Watch_IsNeitherCompressedNorBuffered()
    {
        using var raw = Raw();
        await using var watch = await WatchStream.OpenAsync(raw, $"watch=true&{Selector}", accept: Api.Json, acceptEncoding: "gzip");
        Assert.Empty(watch.Response.Content.Headers.ContentEncoding);
        // The initial events (about 180 KB together) arrive as plain lines while the stream stays open.
        for (var i = 0; i < Objects; i++)
        {
            var line = await watch.NextLineAsync(TimeSpan.FromSeconds(30));
            Assert.NotNull(line);
            Assert.Equal("ADDED", JsonDocument.Parse(line).RootElement.GetProperty("type").GetString());
        }
    }

    private static async Task<byte[]> Gunzip(HttpResponseMessage response)
    {
        await using var gzip = new GZipStream(await response.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        await gzip.CopyToAsync(plain);
        return plain.ToArray();
    }
}
