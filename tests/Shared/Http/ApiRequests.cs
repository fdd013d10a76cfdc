using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClusterRegistry.Tests.Http;

/// <summary>Paths, bodies and assertions shared by the raw-HTTP tests, in process (Api.Tests) and end to end.</summary>
public static class Api
{
    public const string Group = "clusterregistry.k8s.io";
    public const string Version = "v1alpha1";
    public const string Plural = "clusters";
    public const string ApiVersion = Group + "/" + Version;
    public const string GroupVersionPath = "/apis/" + Group + "/" + Version;
    public const string Collection = GroupVersionPath + "/" + Plural;

    public const string Json = "application/json";
    public const string MergePatch = "application/merge-patch+json";
    public const string JsonPatch = "application/json-patch+json";
    public const string StrategicMergePatch = "application/strategic-merge-patch+json";

    public static string Item(string name) => Collection + "/" + name;
    public static string Status(string name) => Collection + "/" + name + "/status";

    /// <summary>A DNS-1123 name unique to this run: <paramref name="prefix"/>-&lt;10 hex&gt;.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 11)];

    /// <summary>A label value unique to this run (label values are at most 63 chars).</summary>
    public static string UniqueValue() => "v" + Guid.NewGuid().ToString("N")[..16];

    public static JsonObject NewCluster(string name, IDictionary<string, string>? labels = null,
        string serverAddress = "10.0.0.1:6443", string clientCidr = "0.0.0.0/0", IEnumerable<string>? finalizers = null)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (labels is not null)
        {
            var l = new JsonObject();
            foreach (var (k, v) in labels) l[k] = v;
            metadata["labels"] = l;
        }
        if (finalizers is not null) metadata["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode)JsonValue.Create(f)!).ToArray());
        return new JsonObject
        {
            ["apiVersion"] = ApiVersion,
            ["kind"] = "Cluster",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["kubernetesApiEndpoints"] = new JsonObject
                {
                    ["serverEndpoints"] = new JsonArray(new JsonObject { ["clientCIDR"] = clientCidr, ["serverAddress"] = serverAddress }),
                },
            },
        };
    }

    public static StringContent Body(string text, string contentType = Json)
    {
        var content = new StringContent(text, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    public static StringContent Body(JsonNode node, string contentType = Json) => Body(node.ToJsonString(), contentType);

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"response {(int)response.StatusCode} is not JSON ({e.Message}):\n{text}");
        }
    }

    /// <summary>Asserts a kube-apiserver failure Status: HTTP code, JSON content type, kind/apiVersion/status/reason/code. Returns the body.</summary>
    public static async Task<JsonElement> AssertFailureAsync(HttpResponseMessage response, HttpStatusCode code, string reason)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(code == response.StatusCode, $"expected HTTP {(int)code} {reason}, got {(int)response.StatusCode}:\n{text}");
        Assert.Equal(Json, response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal("Status", body.GetProperty("kind").GetString());
        Assert.Equal("v1", body.GetProperty("apiVersion").GetString());
        Assert.Equal("Failure", body.GetProperty("status").GetString());
        Assert.Equal(reason, body.GetProperty("reason").GetString());
        Assert.Equal((int)code, body.GetProperty("code").GetInt32());
        Assert.True(body.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String, text);
        return body;
    }

    public static string Message(JsonElement status) => status.GetProperty("message").GetString()!;

    public static async Task<JsonElement> CreateAsync(HttpClient client, JsonObject cluster)
    {
        using var response = await client.PostAsync(Collection, Body(cluster));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create failed: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static Task<JsonElement> CreateAsync(HttpClient client, string name, IDictionary<string, string>? labels = null,
        IEnumerable<string>? finalizers = null) =>
        CreateAsync(client, NewCluster(name, labels, finalizers: finalizers));

    public static async Task<JsonElement> GetAsync(HttpClient client, string name)
    {
        using var response = await client.GetAsync(Item(name));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {name}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task AssertAbsentAsync(HttpClient client, string name)
    {
        using var response = await client.GetAsync(Item(name));
        await AssertFailureAsync(response, HttpStatusCode.NotFound, "NotFound");
    }

    public static async Task<JsonElement> PatchAsync(HttpClient client, string path, string patch, string contentType = MergePatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, path) { Content = Body(patch, contentType) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"PATCH {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string? body = null,
        string contentType = Json, string? accept = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = Body(body, contentType);
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        return await client.SendAsync(request);
    }

    public static async Task<JsonElement> ListAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync(Collection + "?" + query);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"LIST ?{query}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static string ResourceVersion(JsonElement obj) => obj.GetProperty("metadata").GetProperty("resourceVersion").GetString()!;

    public static string Name(JsonElement obj) => obj.GetProperty("metadata").GetProperty("name").GetString()!;

    public static long Generation(JsonElement obj) => obj.GetProperty("metadata").GetProperty("generation").GetInt64();

    public static string? Label(JsonElement obj, string key) =>
        obj.GetProperty("metadata").TryGetProperty("labels", out var labels) && labels.TryGetProperty(key, out var v) ? v.GetString() : null;

    public static string FirstServerAddress(JsonElement obj) =>
        obj.GetProperty("spec").GetProperty("kubernetesApiEndpoints").GetProperty("serverEndpoints")[0].GetProperty("serverAddress").GetString()!;

    public static bool HasStatus(JsonElement obj) =>
        obj.TryGetProperty("status", out var s) && s.ValueKind != JsonValueKind.Null && !(s.ValueKind == JsonValueKind.Object && !s.EnumerateObject().Any());

    public static string Enc(string s) => Uri.EscapeDataString(s);

    /// <summary>The request content types OpenAPI v3 advertises for PATCH on a cluster.</summary>
    public static async Task<string[]> AdvertisedPatchTypesAsync(HttpClient client)
    {
        var root = await ReadJsonAsync(await client.GetAsync("/openapi/v3"));
        var url = root.GetProperty("paths").GetProperty("apis/clusterregistry.k8s.io/v1alpha1").GetProperty("serverRelativeURL").GetString()!;
        var doc = await ReadJsonAsync(await client.GetAsync(url));
        return doc.GetProperty("paths").GetProperty("/apis/clusterregistry.k8s.io/v1alpha1/clusters/{name}").GetProperty("patch")
            .GetProperty("requestBody").GetProperty("content").EnumerateObject().Select(p => p.Name).ToArray();
    }
}

/// <summary>A raw HTTP watch: one event per line, read with a bounded wait.</summary>
public sealed class WatchStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;
    private readonly CancellationTokenSource _life = new();

    private WatchStream(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public HttpResponseMessage Response => _response;

    /// <summary>Every raw line read so far (without the newline).</summary>
    public List<string> Lines { get; } = [];

    /// <summary>A watch of <paramref name="path"/>?<paramref name="query"/>, with the given Accept and Accept-Encoding when not null.</summary>
    public static async Task<WatchStream> OpenAsync(HttpClient client, string query, string path = Api.Collection,
        string? accept = null, string? acceptEncoding = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path + "?" + query);
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        if (acceptEncoding is not null) request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        using var headers = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headers.Token);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var text = await response.Content.ReadAsStringAsync();
            response.Dispose();
            throw new Xunit.Sdk.XunitException($"watch ?{query} answered {(int)response.StatusCode}: {text}");
        }
        var stream = await response.Content.ReadAsStreamAsync();
        return new WatchStream(response, new StreamReader(stream, Encoding.UTF8));
    }

    /// <summary>Reads the next raw line; null at the clean end of the stream. Fails if nothing arrives within <paramref name="wait"/>.</summary>
    public async Task<string?> NextLineAsync(TimeSpan wait)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_life.Token);
        cts.CancelAfter(wait);
        try
        {
            var line = await _reader.ReadLineAsync(cts.Token);
            if (line is not null) Lines.Add(line);
            return line;
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"no watch event within {wait.TotalSeconds}s; lines so far:\n{string.Join("\n", Lines)}");
        }
    }

    /// <summary>The next event; asserts the wire format (one compact JSON object per line with type and object) and fails on ERROR.</summary>
    public async Task<JsonElement?> NextEventAsync(TimeSpan? wait = null)
    {
        var line = await NextLineAsync(wait ?? TimeSpan.FromSeconds(30));
        if (line is null) return null;
        Assert.False(string.IsNullOrWhiteSpace(line), "the watch stream sent a blank line");
        Assert.True(line.StartsWith('{') && line.EndsWith('}'), $"not a single-line JSON object: {line}");
        JsonElement e;
        try
        {
            e = JsonDocument.Parse(line).RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new Xunit.Sdk.XunitException($"watch line is not JSON ({ex.Message}): {line}");
        }
        Assert.Equal(JsonValueKind.String, e.GetProperty("type").ValueKind);
        Assert.Equal(JsonValueKind.Object, e.GetProperty("object").ValueKind);
        // None of these tests expects an ERROR event: report it with the stream so far.
        if (e.GetProperty("type").GetString() == "ERROR")
            throw new Xunit.Sdk.XunitException("the watch sent an ERROR event:\n" + string.Join("\n", Lines));
        return e;
    }

    /// <summary>Reads events, skipping bookmarks, until one matches; fails if the stream ends or stalls first.</summary>
    public async Task<JsonElement> NextNonBookmarkAsync(TimeSpan? wait = null)
    {
        while (true)
        {
            var e = await NextEventAsync(wait) ?? throw new Xunit.Sdk.XunitException("the watch ended early:\n" + string.Join("\n", Lines));
            var type = e.GetProperty("type").GetString();
            if (type == "ERROR") throw new Xunit.Sdk.XunitException("the watch sent an ERROR event:\n" + string.Join("\n", Lines));
            if (type != "BOOKMARK") return e;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _life.CancelAsync();
        _reader.Dispose();
        _response.Dispose();
        _life.Dispose();
    }
}
