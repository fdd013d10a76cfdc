using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ClusterRegistry.Tests.Http;

/// <summary>Discovery, version, OpenAPI, health, content negotiation and the write semantics kube-apiserver has.</summary>
public sealed class ApiSemanticsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly HttpClient _http = fixture.Client;

    private const string AggregatedAccept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
    private const string TableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
    private static readonly string[] AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    private static Dictionary<string, string> Labels(params string[] kv)
    {
        var d = new Dictionary<string, string>();
        for (var i = 0; i < kv.Length; i += 2) d[kv[i]] = kv[i + 1];
        return d;
    }

    // ---- discovery ----

    [Fact]
    public async Task Api_CoreGroupRootPlainAccept_Returns404()
    {
        using var response = await Api.SendAsync(_http, HttpMethod.Get, "/api?timeout=32s", accept: "application/json, */*");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    /// <summary>client-go tolerates a 404 or an empty aggregated list for /api; a legacy APIVersions or an error is worse.</summary>
    [Fact]
    public async Task Api_CoreGroupRootAggregatedAccept_Returns404OrEmptyAggregatedList()
    {
        using var response = await Api.SendAsync(_http, HttpMethod.Get, "/api?timeout=32s", accept: AggregatedAccept);
        if (response.StatusCode == HttpStatusCode.NotFound) return;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var parameters = response.Content.Headers.ContentType!.Parameters.ToDictionary(p => p.Name.ToLowerInvariant(), p => p.Value?.Trim('"'));
        Assert.Equal(("apidiscovery.k8s.io", "v2", "APIGroupDiscoveryList"),
            (parameters.GetValueOrDefault("g"), parameters.GetValueOrDefault("v"), parameters.GetValueOrDefault("as")));
        var body = await Api.ReadJsonAsync(response);
        Assert.Equal("APIGroupDiscoveryList", body.GetProperty("kind").GetString());
        Assert.Equal(0, body.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Apis_LegacyAccept_ReturnsApiGroupList()
    {
        using var response = await Api.SendAsync(_http, HttpMethod.Get, "/apis?timeout=32s", accept: "application/json, */*");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Api.Json, response.Content.Headers.ContentType?.MediaType);
        var body = await Api.ReadJsonAsync(response);
        Assert.Equal("APIGroupList", body.GetProperty("kind").GetString());
        Assert.Equal("v1", body.GetProperty("apiVersion").GetString());
        var group = Assert.Single(body.GetProperty("groups").EnumerateArray(), g => g.GetProperty("name").GetString() == Api.Group);
        var version = Assert.Single(group.GetProperty("versions").EnumerateArray());
        Assert.Equal(Api.ApiVersion, version.GetProperty("groupVersion").GetString());
        Assert.Equal(Api.Version, version.GetProperty("version").GetString());
        var preferred = group.GetProperty("preferredVersion");
        Assert.Equal(Api.ApiVersion, preferred.GetProperty("groupVersion").GetString());
        Assert.Equal(Api.Version, preferred.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Apis_AggregatedAccept_ReturnsApiGroupDiscoveryListWithGvkContentType()
    {
        using var response = await Api.SendAsync(_http, HttpMethod.Get, "/apis?timeout=32s", accept: AggregatedAccept);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var contentType = response.Content.Headers.ContentType!;
        Assert.Equal(Api.Json, contentType.MediaType);
        var parameters = contentType.Parameters.ToDictionary(p => p.Name.ToLowerInvariant(), p => p.Value?.Trim('"'));
        Assert.Equal("apidiscovery.k8s.io", parameters.GetValueOrDefault("g"));
        Assert.Equal("v2", parameters.GetValueOrDefault("v"));
        Assert.Equal("APIGroupDiscoveryList", parameters.GetValueOrDefault("as"));

        var body = await Api.ReadJsonAsync(response);
        Assert.Equal("APIGroupDiscoveryList", body.GetProperty("kind").GetString());
        Assert.Equal("apidiscovery.k8s.io/v2", body.GetProperty("apiVersion").GetString());
        var group = Assert.Single(body.GetProperty("items").EnumerateArray(),
            g => g.GetProperty("metadata").GetProperty("name").GetString() == Api.Group);
        var version = group.GetProperty("versions")[0];
        Assert.Equal(Api.Version, version.GetProperty("version").GetString());
        Assert.Equal("Current", version.GetProperty("freshness").GetString());
        var clusters = Assert.Single(version.GetProperty("resources").EnumerateArray(), r => r.GetProperty("resource").GetString() == "clusters");
        Assert.Equal("Cluster", clusters.GetProperty("scope").GetString());
        Assert.Equal("cluster", clusters.GetProperty("singularResource").GetString());
        var kind = clusters.GetProperty("responseKind");
        Assert.Equal((Api.Group, Api.Version, "Cluster"),
            (kind.GetProperty("group").GetString(), kind.GetProperty("version").GetString(), kind.GetProperty("kind").GetString()));
        Assert.Equal(AllVerbs, clusters.GetProperty("verbs").EnumerateArray().Select(v => v.GetString()!).Order().ToArray());
        var status = Assert.Single(clusters.GetProperty("subresources").EnumerateArray(), s => s.GetProperty("subresource").GetString() == "status");
        Assert.Equal("status", status.GetProperty("subresource").GetString());
        Assert.Equal("Cluster", status.GetProperty("responseKind").GetProperty("kind").GetString());
        Assert.Equal(["get", "patch", "update"], status.GetProperty("verbs").EnumerateArray().Select(v => v.GetString()!).Order().ToArray());
    }

    [Fact]
    public async Task Apis_AggregatedAcceptWithReorderedParameters_StillReturnsAggregated()
    {
        using var response = await Api.SendAsync(_http, HttpMethod.Get, "/apis",
            accept: "application/json;as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io, application/json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("APIGroupDiscoveryList", (await Api.ReadJsonAsync(response)).GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Group_Discovery_ReturnsApiGroup()
    {
        var body = await Api.ReadJsonAsync(await _http.GetAsync("/apis/" + Api.Group));
        Assert.Equal("APIGroup", body.GetProperty("kind").GetString());
        Assert.Equal(Api.Group, body.GetProperty("name").GetString());
        Assert.Equal(Api.ApiVersion, body.GetProperty("preferredVersion").GetProperty("groupVersion").GetString());
    }

    [Fact]
    public async Task GroupVersion_Discovery_ListsClustersAndStatusWithVerbs()
    {
        using var response = await Api.SendAsync(_http, HttpMethod.Get, Api.GroupVersionPath + "?timeout=32s", accept: "application/json, */*");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Api.ReadJsonAsync(response);
        Assert.Equal("APIResourceList", body.GetProperty("kind").GetString());
        Assert.Equal("v1", body.GetProperty("apiVersion").GetString());
        Assert.Equal(Api.ApiVersion, body.GetProperty("groupVersion").GetString());
        var resources = body.GetProperty("resources").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!);

        var clusters = resources["clusters"];
        Assert.Equal("cluster", clusters.GetProperty("singularName").GetString());
        Assert.False(clusters.GetProperty("namespaced").GetBoolean());
        Assert.Equal("Cluster", clusters.GetProperty("kind").GetString());
        Assert.Equal(AllVerbs, clusters.GetProperty("verbs").EnumerateArray().Select(v => v.GetString()!).Order().ToArray());
        Assert.Equal("xQPNSkhCVNY=", clusters.GetProperty("storageVersionHash").GetString());

        var status = resources["clusters/status"];
        Assert.Equal(JsonValueKind.String, status.GetProperty("singularName").ValueKind);
        Assert.False(status.GetProperty("namespaced").GetBoolean());
        Assert.Equal("Cluster", status.GetProperty("kind").GetString());
        Assert.Equal(["get", "patch", "update"], status.GetProperty("verbs").EnumerateArray().Select(v => v.GetString()!).Order().ToArray());
    }

    [Fact]
    public async Task Version_Returns9StringKeysAndSemverGitVersion()
    {
        using var response = await _http.GetAsync("/version?timeout=32s");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Api.Json, response.Content.Headers.ContentType?.MediaType);
        var body = await Api.ReadJsonAsync(response);
        string[] keys = ["major", "minor", "gitVersion", "gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler", "platform"];
        Assert.Equal(keys.Order(), body.EnumerateObject().Select(p => p.Name).Order());
        foreach (var p in body.EnumerateObject()) Assert.Equal(JsonValueKind.String, p.Value.ValueKind);
        Assert.Matches(new Regex(@"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"),
            body.GetProperty("gitVersion").GetString());
        Assert.StartsWith($"v{body.GetProperty("major").GetString()}.{body.GetProperty("minor").GetString()}.", body.GetProperty("gitVersion").GetString());
    }

    // ---- OpenAPI ----

    [Fact]
    public async Task OpenApiV3_GroupVersionDocument_AdvertisesFieldValidationOnPatch()
    {
        var root = await Api.ReadJsonAsync(await _http.GetAsync("/openapi/v3?timeout=32s"));
        var entry = root.GetProperty("paths").GetProperty("apis/clusterregistry.k8s.io/v1alpha1");
        var url = entry.GetProperty("serverRelativeURL").GetString()!;
        Assert.StartsWith("/openapi/v3/apis/clusterregistry.k8s.io/v1alpha1", url);

        using var response = await Api.SendAsync(_http, HttpMethod.Get, url, accept: Api.Json);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = await Api.ReadJsonAsync(response);
        var patch = doc.GetProperty("paths").GetProperty("/apis/clusterregistry.k8s.io/v1alpha1/clusters/{name}").GetProperty("patch");
        var gvk = patch.GetProperty("x-kubernetes-group-version-kind");
        Assert.Equal(JsonValueKind.Object, gvk.ValueKind);
        Assert.Equal((Api.Group, Api.Version, "Cluster"),
            (gvk.GetProperty("group").GetString(), gvk.GetProperty("version").GetString(), gvk.GetProperty("kind").GetString()));
        var parameters = patch.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToArray();
        Assert.Contains("fieldValidation", parameters);
        var patchTypes = patch.GetProperty("requestBody").GetProperty("content").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Contains(Api.MergePatch, patchTypes);
        Assert.Contains(Api.JsonPatch, patchTypes);
    }

    /// <summary>
    /// OpenAPI and the server must agree on patch types: client-side kubectl apply sends a strategic merge patch exactly when
    /// OpenAPI lists it, so every advertised type must work (and unadvertised ones are 415, see BadInputTests).
    /// </summary>
    [Fact]
    public async Task Patch_EveryPatchTypeAdvertisedInOpenApi_IsAccepted()
    {
        var advertised = await Api.AdvertisedPatchTypesAsync(_http);
        Assert.NotEmpty(advertised);
        foreach (var type in advertised)
        {
            var name = Api.UniqueName("ptype");
            await Api.CreateAsync(_http, name);
            var (query, body) = type switch
            {
                Api.JsonPatch => ("", "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"via\":\"patch\"}}]"),
                "application/apply-patch+yaml" => ("?fieldManager=e2e-apply",
                    $"apiVersion: {Api.ApiVersion}\nkind: Cluster\nmetadata:\n  name: {name}\n  labels:\n    via: patch\n"),
                _ => ("", "{\"metadata\":{\"labels\":{\"via\":\"patch\"}}}"),
            };
            using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name) + query, body, type);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{type} is advertised but PATCH answered {(int)response.StatusCode}: {text}");
            Assert.Equal("patch", Api.Label(await Api.GetAsync(_http, name), "via"));
        }
    }

    // ---- health ----

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/livez")]
    [InlineData("/readyz")]
    [InlineData("/readyz/ping")]
    [InlineData("/livez/ping")]
    public async Task Health_Endpoint_ReturnsOk(string path)
    {
        using var response = await _http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/healthz", "healthz")]
    [InlineData("/livez", "livez")]
    [InlineData("/readyz", "readyz")]
    public async Task Health_Verbose_ListsChecksAndSummary(string path, string name)
    {
        using var response = await _http.GetAsync(path + "?verbose");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("[+]ping ok", lines);
        Assert.Equal($"{name} check passed", lines[^1]);
        Assert.All(lines[..^1], l => Assert.Matches(@"^\[\+\][^ ]+ ok$", l));
    }

    [Fact]
    public async Task Health_Anonymous_ReturnsOk()
    {
        using var anonymous = fixture.Server.CreateClient(authenticated: false);
        using var response = await anonymous.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    // ---- negotiation: Table, PartialObjectMetadata, YAML, 406 ----

    [Fact]
    public async Task List_TableAccept_ReturnsTableWithColumnsAndPartialObjectMetadataRows()
    {
        var sel = Api.UniqueValue();
        var a = Api.UniqueName("tbl-a");
        var b = Api.UniqueName("tbl-b");
        await Api.CreateAsync(_http, Api.NewCluster(a, Labels("tbl", sel), serverAddress: "10.1.1.1:6443", clientCidr: "10.0.0.0/8"));
        await Api.CreateAsync(_http, Api.NewCluster(b, Labels("tbl", sel), serverAddress: "api.example.com:443", clientCidr: "::/0"));

        using var response = await Api.SendAsync(_http, HttpMethod.Get, Api.Collection + $"?limit=500&labelSelector=tbl%3D{sel}", accept: TableAccept);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Api.Json, response.Content.Headers.ContentType?.MediaType);
        var table = await Api.ReadJsonAsync(response);
        Assert.Equal("Table", table.GetProperty("kind").GetString());
        Assert.Equal("meta.k8s.io/v1", table.GetProperty("apiVersion").GetString());
        Assert.False(string.IsNullOrEmpty(table.GetProperty("metadata").GetProperty("resourceVersion").GetString()));
        var columns = table.GetProperty("columnDefinitions").EnumerateArray().ToArray();
        foreach (var c in columns)
            foreach (var key in new[] { "name", "type", "format", "description", "priority" })
                Assert.True(c.TryGetProperty(key, out _), $"column {c} lacks {key}");
        Assert.Equal(["Name", "Server", "CIDR", "Age"],
            columns.Where(c => c.GetProperty("priority").GetInt32() == 0).Select(c => c.GetProperty("name").GetString()!).ToArray());
        var nameColumn = columns[0];
        Assert.Equal(("string", "name"), (nameColumn.GetProperty("type").GetString(), nameColumn.GetProperty("format").GetString()));

        var rows = table.GetProperty("rows").EnumerateArray().ToArray();
        Assert.Equal(2, rows.Length);
        var byName = rows.ToDictionary(r => r.GetProperty("cells")[0].GetString()!);
        Assert.Equal(new[] { a, b }.Order(), byName.Keys.Order());
        Assert.Equal("10.1.1.1:6443", byName[a].GetProperty("cells")[1].GetString());
        Assert.Equal("10.0.0.0/8", byName[a].GetProperty("cells")[2].GetString());
        Assert.Equal("api.example.com:443", byName[b].GetProperty("cells")[1].GetString());
        Assert.Equal("::/0", byName[b].GetProperty("cells")[2].GetString());
        foreach (var row in rows)
        {
            Assert.Equal(columns.Length, row.GetProperty("cells").GetArrayLength());
            var age = row.GetProperty("cells")[3].GetString()!;
            Assert.Matches(@"^\d+[smhdy]", age);
            var obj = row.GetProperty("object");
            Assert.Equal("PartialObjectMetadata", obj.GetProperty("kind").GetString());
            Assert.Equal("meta.k8s.io/v1", obj.GetProperty("apiVersion").GetString());
            Assert.Equal(row.GetProperty("cells")[0].GetString(), Api.Name(obj));
            Assert.Equal(sel, Api.Label(obj, "tbl"));
            Assert.False(obj.TryGetProperty("spec", out _));
        }
    }

    [Fact]
    public async Task Get_TableAcceptSingleObject_ReturnsOneRow()
    {
        var name = Api.UniqueName("tbl1");
        await Api.CreateAsync(_http, name);
        using var response = await Api.SendAsync(_http, HttpMethod.Get, Api.Item(name), accept: TableAccept);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var table = await Api.ReadJsonAsync(response);
        Assert.Equal("Table", table.GetProperty("kind").GetString());
        var row = Assert.Single(table.GetProperty("rows").EnumerateArray());
        Assert.Equal(name, row.GetProperty("cells")[0].GetString());
    }

    [Fact]
    public async Task List_TableIncludeObjectObject_RowsCarryFullCluster()
    {
        var sel = Api.UniqueValue();
        var name = Api.UniqueName("tblobj");
        await Api.CreateAsync(_http, name, Labels("tblobj", sel));

        using var response = await Api.SendAsync(_http, HttpMethod.Get,
            Api.Collection + $"?labelSelector=tblobj%3D{sel}&includeObject=Object", accept: TableAccept);

        var table = await Api.ReadJsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var obj = Assert.Single(table.GetProperty("rows").EnumerateArray()).GetProperty("object");
        Assert.Equal("Cluster", obj.GetProperty("kind").GetString());
        Assert.Equal(Api.ApiVersion, obj.GetProperty("apiVersion").GetString());
        Assert.Equal("10.0.0.1:6443", Api.FirstServerAddress(obj));
    }

    [Fact]
    public async Task List_TableIncludeObjectNone_RowsHaveNoObject()
    {
        var sel = Api.UniqueValue();
        await Api.CreateAsync(_http, Api.UniqueName("tblnone"), Labels("tblnone", sel));
        using var response = await Api.SendAsync(_http, HttpMethod.Get,
            Api.Collection + $"?labelSelector=tblnone%3D{sel}&includeObject=None", accept: TableAccept);
        var row = Assert.Single((await Api.ReadJsonAsync(response)).GetProperty("rows").EnumerateArray());
        Assert.False(row.TryGetProperty("object", out var o) && o.ValueKind != JsonValueKind.Null);
    }

    [Fact]
    public async Task List_TableAcceptEmptySelection_RowsIsEmptyArray()
    {
        using var response = await Api.SendAsync(_http, HttpMethod.Get, Api.Collection + $"?labelSelector=none%3D{Api.UniqueValue()}", accept: TableAccept);
        var table = await Api.ReadJsonAsync(response);
        Assert.Equal(JsonValueKind.Array, table.GetProperty("rows").ValueKind);
        Assert.Equal(0, table.GetProperty("rows").GetArrayLength());
    }

    [Fact]
    public async Task List_PartialObjectMetadataListAccept_ReturnsMetadataOnly()
    {
        var sel = Api.UniqueValue();
        var name = Api.UniqueName("pom");
        await Api.CreateAsync(_http, name, Labels("pom", sel));

        using var response = await Api.SendAsync(_http, HttpMethod.Get, Api.Collection + $"?labelSelector=pom%3D{sel}",
            accept: "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Api.Json, response.Content.Headers.ContentType?.MediaType);
        var list = await Api.ReadJsonAsync(response);
        Assert.Equal("PartialObjectMetadataList", list.GetProperty("kind").GetString());
        Assert.Equal("meta.k8s.io/v1", list.GetProperty("apiVersion").GetString());
        Assert.False(string.IsNullOrEmpty(list.GetProperty("metadata").GetProperty("resourceVersion").GetString()));
        var item = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal("PartialObjectMetadata", item.GetProperty("kind").GetString());
        Assert.Equal("meta.k8s.io/v1", item.GetProperty("apiVersion").GetString());
        Assert.Equal(name, Api.Name(item));
        Assert.False(item.TryGetProperty("spec", out _));
    }

    [Fact]
    public async Task Get_PartialObjectMetadataAccept_ReturnsMetadataOnly()
    {
        var name = Api.UniqueName("pom1");
        await Api.CreateAsync(_http, name);
        using var response = await Api.SendAsync(_http, HttpMethod.Get, Api.Item(name),
            accept: "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json");
        var obj = await Api.ReadJsonAsync(response);
        Assert.Equal("PartialObjectMetadata", obj.GetProperty("kind").GetString());
        Assert.Equal(name, Api.Name(obj));
        Assert.False(obj.TryGetProperty("spec", out _));
    }

    [Fact]
    public async Task Get_YamlAccept_ReturnsYaml()
    {
        var name = Api.UniqueName("yaml");
        await Api.CreateAsync(_http, name);
        using var response = await Api.SendAsync(_http, HttpMethod.Get, Api.Item(name), accept: "application/yaml");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/yaml", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.False(text.TrimStart().StartsWith('{'), "YAML was requested but JSON came back");
        var lines = text.Split('\n');
        Assert.Contains("kind: Cluster", lines);
        Assert.Contains($"apiVersion: {Api.ApiVersion}", lines);
        Assert.Contains(lines, l => l.Trim() == $"name: {name}");
    }

    [Fact]
    public async Task Create_YamlBody_Returns201()
    {
        var name = Api.UniqueName("yamlin");
        var yaml = $"apiVersion: {Api.ApiVersion}\nkind: Cluster\nmetadata:\n  name: {name}\nspec:\n  kubernetesApiEndpoints:\n    serverEndpoints:\n    - clientCIDR: 0.0.0.0/0\n      serverAddress: 10.2.2.2:6443\n";
        using var response = await _http.PostAsync(Api.Collection, Api.Body(yaml, "application/yaml"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("10.2.2.2:6443", Api.FirstServerAddress(await Api.GetAsync(_http, name)));
    }

    [Theory]
    [InlineData("application/vnd.kubernetes.protobuf")]
    [InlineData("text/html")]
    public async Task Get_UnsupportedAcceptOnly_Returns406NotAcceptable(string accept)
    {
        var name = Api.UniqueName("n406");
        await Api.CreateAsync(_http, name);
        using (var get = await Api.SendAsync(_http, HttpMethod.Get, Api.Item(name), accept: accept))
        {
            var status = await Api.AssertFailureAsync(get, HttpStatusCode.NotAcceptable, "NotAcceptable");
            Assert.StartsWith("only the following media types are accepted: ", Api.Message(status));
        }
        using (var list = await Api.SendAsync(_http, HttpMethod.Get, Api.Collection, accept: accept))
            await Api.AssertFailureAsync(list, HttpStatusCode.NotAcceptable, "NotAcceptable");
        // A delete is refused before it runs, as kube-apiserver negotiates first: the object is still there.
        using (var delete = await Api.SendAsync(_http, HttpMethod.Delete, Api.Item(name), accept: accept))
            await Api.AssertFailureAsync(delete, HttpStatusCode.NotAcceptable, "NotAcceptable");
        using (var deleteAll = await Api.SendAsync(_http, HttpMethod.Delete, Api.Collection + "?fieldSelector=metadata.name%3D" + name, accept: accept))
            await Api.AssertFailureAsync(deleteAll, HttpStatusCode.NotAcceptable, "NotAcceptable");
        Assert.Equal(name, (await Api.GetAsync(_http, name)).GetProperty("metadata").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Get_AcceptWithJsonAmongUnsupported_ReturnsJson()
    {
        var name = Api.UniqueName("accmix");
        await Api.CreateAsync(_http, name);
        using var response = await Api.SendAsync(_http, HttpMethod.Get, Api.Item(name), accept: "text/html, application/json;q=0.5, */*;q=0.1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Cluster", (await Api.ReadJsonAsync(response)).GetProperty("kind").GetString());
    }

    // ---- lists ----

    [Fact]
    public async Task List_EmptySelection_ItemsIsEmptyArrayAndResourceVersionSet()
    {
        using var response = await _http.GetAsync(Api.Collection + $"?labelSelector=empty%3D{Api.UniqueValue()}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var list = JsonDocument.Parse(text).RootElement;
        Assert.Equal("ClusterList", list.GetProperty("kind").GetString());
        Assert.Equal(Api.ApiVersion, list.GetProperty("apiVersion").GetString());
        Assert.Equal(JsonValueKind.Array, list.GetProperty("items").ValueKind);
        Assert.Equal(0, list.GetProperty("items").GetArrayLength());
        Assert.False(string.IsNullOrEmpty(list.GetProperty("metadata").GetProperty("resourceVersion").GetString()));
        var meta = list.GetProperty("metadata");
        Assert.False(meta.TryGetProperty("continue", out var c) && !string.IsNullOrEmpty(c.GetString()));
    }

    [Fact]
    public async Task List_Items_CarryKindAndApiVersion()
    {
        var sel = Api.UniqueValue();
        await Api.CreateAsync(_http, Api.UniqueName("kinds"), Labels("kinds", sel));
        var item = Assert.Single((await Api.ListAsync(_http, $"labelSelector=kinds%3D{sel}")).GetProperty("items").EnumerateArray());
        Assert.Equal("Cluster", item.GetProperty("kind").GetString());
        Assert.Equal(Api.ApiVersion, item.GetProperty("apiVersion").GetString());
    }

    [Fact]
    public async Task List_LabelSelectorOperators_MatchLikeKubernetes()
    {
        var sel = Api.UniqueValue();
        var prod = Api.UniqueName("ops-prod");
        var dev = Api.UniqueName("ops-dev");
        var none = Api.UniqueName("ops-none");
        await Api.CreateAsync(_http, prod, Labels("ops", sel, "env", "prod"));
        await Api.CreateAsync(_http, dev, Labels("ops", sel, "env", "dev"));
        await Api.CreateAsync(_http, none, Labels("ops", sel));

        async Task<string[]> Select(string selector) =>
            (await Api.ListAsync(_http, "labelSelector=" + Api.Enc($"ops={sel}," + selector)))
            .GetProperty("items").EnumerateArray().Select(Api.Name).Order().ToArray();

        Assert.Equal([prod], await Select("env=prod"));
        Assert.Equal(new[] { dev, none }.Order(), await Select("env!=prod"));
        Assert.Equal(new[] { dev, prod }.Order(), await Select("env in (prod,dev)"));
        Assert.Equal([none], await Select("env notin (prod,dev)"));
        Assert.Equal(new[] { dev, prod }.Order(), await Select("env"));
        Assert.Equal([none], await Select("!env"));
    }

    // ---- create / delete ----

    [Fact]
    public async Task Create_GenerateName_AppendsFiveRandomChars()
    {
        var prefix = Api.UniqueName("gen") + "-";
        var body = Api.NewCluster("unused");
        var metadata = (System.Text.Json.Nodes.JsonObject)body["metadata"]!;
        metadata.Remove("name");
        metadata["generateName"] = prefix;

        var created = await Api.CreateAsync(_http, body);

        var name = Api.Name(created);
        Assert.Matches("^" + Regex.Escape(prefix) + "[bcdfghjklmnpqrstvwxz2456789]{5}$", name);
        Assert.Equal(prefix, created.GetProperty("metadata").GetProperty("generateName").GetString());
        Assert.Equal(name, Api.Name(await Api.GetAsync(_http, name)));
    }

    [Fact]
    public async Task Create_ServerSetsMetadata()
    {
        var name = Api.UniqueName("meta");
        var created = await Api.CreateAsync(_http, name);
        var meta = created.GetProperty("metadata");
        Assert.True(Guid.TryParse(meta.GetProperty("uid").GetString(), out _));
        Assert.False(string.IsNullOrEmpty(meta.GetProperty("resourceVersion").GetString()));
        Assert.Equal(1, meta.GetProperty("generation").GetInt64());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", meta.GetProperty("creationTimestamp").GetString());
        Assert.Equal("Cluster", created.GetProperty("kind").GetString());
        Assert.Equal(Api.ApiVersion, created.GetProperty("apiVersion").GetString());
    }

    [Fact]
    public async Task Create_WithStatus_DropsStatus()
    {
        var name = Api.UniqueName("crstat");
        var body = Api.NewCluster(name);
        body["status"] = System.Text.Json.Nodes.JsonNode.Parse("{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}");
        var created = await Api.CreateAsync(_http, body);
        Assert.False(Api.HasStatus(created), created.ToString());
        Assert.False(Api.HasStatus(await Api.GetAsync(_http, name)));
    }

    [Fact]
    public async Task Create_DryRunAll_Returns201AndStoresNothing()
    {
        var name = Api.UniqueName("dry");
        using var response = await _http.PostAsync(Api.Collection + "?dryRun=All", Api.Body(Api.NewCluster(name)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(name, Api.Name(await Api.ReadJsonAsync(response)));
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task Delete_WithoutFinalizers_ReturnsSuccessStatusWithResourceKind()
    {
        var name = Api.UniqueName("del");
        var created = await Api.CreateAsync(_http, name);

        using var response = await Api.SendAsync(_http, HttpMethod.Delete, Api.Item(name),
            "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":\"Background\"}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = await Api.ReadJsonAsync(response);
        Assert.Equal("Status", status.GetProperty("kind").GetString());
        Assert.Equal("v1", status.GetProperty("apiVersion").GetString());
        Assert.Equal("Success", status.GetProperty("status").GetString());
        var details = status.GetProperty("details");
        Assert.Equal(name, details.GetProperty("name").GetString());
        Assert.Equal(Api.Group, details.GetProperty("group").GetString());
        Assert.Equal("clusters", details.GetProperty("kind").GetString());
        Assert.Equal(created.GetProperty("metadata").GetProperty("uid").GetString(), details.GetProperty("uid").GetString());
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task Delete_WithFinalizers_MarksDeletingThenRemovingFinalizersDeletes()
    {
        var name = Api.UniqueName("fin");
        await Api.CreateAsync(_http, name, finalizers: ["example.com/hold"]);

        using (var response = await _http.DeleteAsync(Api.Item(name)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var obj = await Api.ReadJsonAsync(response);
            Assert.Equal("Cluster", obj.GetProperty("kind").GetString());
            var meta = obj.GetProperty("metadata");
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", meta.GetProperty("deletionTimestamp").GetString());
            Assert.Equal(0, meta.GetProperty("deletionGracePeriodSeconds").GetInt64());
            Assert.Equal(["example.com/hold"], meta.GetProperty("finalizers").EnumerateArray().Select(f => f.GetString()!).ToArray());
        }

        var stillThere = await Api.GetAsync(_http, name);
        Assert.True(stillThere.GetProperty("metadata").TryGetProperty("deletionTimestamp", out _));

        using (var again = await _http.DeleteAsync(Api.Item(name)))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Equal("Cluster", (await Api.ReadJsonAsync(again)).GetProperty("kind").GetString());
        }

        using (var patch = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name), "{\"metadata\":{\"finalizers\":null}}", Api.MergePatch))
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);

        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task Patch_AddFinalizerWhileDeleting_Returns422()
    {
        var name = Api.UniqueName("finadd");
        await Api.CreateAsync(_http, name, finalizers: ["example.com/hold"]);
        (await _http.DeleteAsync(Api.Item(name))).Dispose();
        var deleting = await Api.GetAsync(_http, name);

        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name),
            "{\"metadata\":{\"finalizers\":[\"example.com/hold\",\"example.com/more\"]}}", Api.MergePatch);

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Contains("no new finalizers can be added if the object is being deleted", Api.Message(status));
        Assert.Equal(Api.ResourceVersion(deleting), Api.ResourceVersion(await Api.GetAsync(_http, name)));
        await Api.PatchAsync(_http, Api.Item(name), "{\"metadata\":{\"finalizers\":[]}}");
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task DeleteCollection_WithLabelSelector_DeletesOnlyMatching()
    {
        var group = Api.UniqueValue();
        var doomed = Enumerable.Range(0, 3).Select(_ => Api.UniqueName("dc-a")).ToArray();
        var kept = Enumerable.Range(0, 2).Select(_ => Api.UniqueName("dc-b")).ToArray();
        foreach (var n in doomed) await Api.CreateAsync(_http, n, Labels("dc", group, "role", "a"));
        foreach (var n in kept) await Api.CreateAsync(_http, n, Labels("dc", group, "role", "b"));

        using var response = await _http.DeleteAsync(Api.Collection + "?labelSelector=" + Api.Enc($"dc={group},role=a"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var list = await Api.ReadJsonAsync(response);
        Assert.Equal("ClusterList", list.GetProperty("kind").GetString());
        Assert.Equal(doomed.Order(), list.GetProperty("items").EnumerateArray().Select(Api.Name).Order());
        foreach (var n in doomed) await Api.AssertAbsentAsync(_http, n);
        foreach (var n in kept) await Api.GetAsync(_http, n);
        var remaining = await Api.ListAsync(_http, "labelSelector=" + Api.Enc($"dc={group}"));
        Assert.Equal(kept.Order(), remaining.GetProperty("items").EnumerateArray().Select(Api.Name).Order());
    }

    // ---- status subresource and generation ----

    private const string ReadyStatus = "{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"lastHeartbeatTime\":\"2026-01-01T00:00:00Z\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\",\"reason\":\"Probed\",\"message\":\"ok\"}]}";

    [Fact]
    public async Task Status_Put_ChangesOnlyStatus()
    {
        var name = Api.UniqueName("stput");
        var created = await Api.CreateAsync(_http, name, Labels("keep", "yes"));
        var body = System.Text.Json.Nodes.JsonNode.Parse(created.GetRawText())!.AsObject();
        body["metadata"]!["labels"]!["keep"] = "changed";
        body["spec"]!["kubernetesApiEndpoints"]!["serverEndpoints"]![0]!["serverAddress"] = "10.3.3.3:6443";
        body["status"] = System.Text.Json.Nodes.JsonNode.Parse(ReadyStatus);

        using var response = await _http.PutAsync(Api.Status(name), Api.Body(body));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        foreach (var obj in new[] { JsonDocument.Parse(text).RootElement, await Api.GetAsync(_http, name) })
        {
            Assert.Equal("True", obj.GetProperty("status").GetProperty("conditions")[0].GetProperty("status").GetString());
            Assert.Equal("yes", Api.Label(obj, "keep"));
            Assert.Equal("10.0.0.1:6443", Api.FirstServerAddress(obj));
            Assert.Equal(1, Api.Generation(obj));
            Assert.NotEqual(Api.ResourceVersion(created), Api.ResourceVersion(obj));
        }
    }

    [Fact]
    public async Task Status_MergePatch_IgnoresLabelChange()
    {
        var name = Api.UniqueName("stpatch");
        await Api.CreateAsync(_http, name, Labels("keep", "yes"));

        var patched = await Api.PatchAsync(_http, Api.Status(name),
            "{\"metadata\":{\"labels\":{\"keep\":\"no\",\"added\":\"x\"}},\"spec\":{\"kubernetesApiEndpoints\":{\"serverEndpoints\":[]}},\"status\":" + ReadyStatus + "}");

        foreach (var obj in new[] { patched, await Api.GetAsync(_http, name) })
        {
            Assert.Equal("Ready", obj.GetProperty("status").GetProperty("conditions")[0].GetProperty("type").GetString());
            Assert.Equal("yes", Api.Label(obj, "keep"));
            Assert.Null(Api.Label(obj, "added"));
            Assert.Equal("10.0.0.1:6443", Api.FirstServerAddress(obj));
        }
    }

    [Fact]
    public async Task Status_Get_ReturnsWholeCluster()
    {
        var name = Api.UniqueName("stget");
        await Api.CreateAsync(_http, name);
        var obj = await Api.ReadJsonAsync(await _http.GetAsync(Api.Status(name)));
        Assert.Equal("Cluster", obj.GetProperty("kind").GetString());
        Assert.Equal("10.0.0.1:6443", Api.FirstServerAddress(obj));
    }

    [Fact]
    public async Task Patch_MainResource_IgnoresStatus()
    {
        var name = Api.UniqueName("mainst");
        await Api.CreateAsync(_http, name);

        var patched = await Api.PatchAsync(_http, Api.Item(name), "{\"metadata\":{\"labels\":{\"p\":\"q\"}},\"status\":" + ReadyStatus + "}");

        Assert.Equal("q", Api.Label(patched, "p"));
        Assert.False(Api.HasStatus(patched), patched.ToString());
        Assert.False(Api.HasStatus(await Api.GetAsync(_http, name)));

        // And with a status present, the main resource keeps it.
        await Api.PatchAsync(_http, Api.Status(name), "{\"status\":" + ReadyStatus + "}");
        var again = await Api.PatchAsync(_http, Api.Item(name), "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}}");
        Assert.Equal("True", again.GetProperty("status").GetProperty("conditions")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task Generation_BumpsOnSpecChangeOnly()
    {
        var name = Api.UniqueName("gen");
        var created = await Api.CreateAsync(_http, name);
        Assert.Equal(1, Api.Generation(created));

        var labelled = await Api.PatchAsync(_http, Api.Item(name), "{\"metadata\":{\"labels\":{\"a\":\"b\"},\"annotations\":{\"x\":\"y\"}}}");
        Assert.Equal(1, Api.Generation(labelled));
        Assert.NotEqual(Api.ResourceVersion(created), Api.ResourceVersion(labelled));

        var status = await Api.PatchAsync(_http, Api.Status(name), "{\"status\":" + ReadyStatus + "}");
        Assert.Equal(1, Api.Generation(status));

        var spec = await Api.PatchAsync(_http, Api.Item(name),
            "{\"spec\":{\"kubernetesApiEndpoints\":{\"serverEndpoints\":[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"10.4.4.4:6443\"}]}}}");
        Assert.Equal(2, Api.Generation(spec));

        var body = System.Text.Json.Nodes.JsonNode.Parse(spec.GetRawText())!.AsObject();
        body["spec"]!["kubernetesApiEndpoints"]!["serverEndpoints"]![0]!["serverAddress"] = "10.5.5.5:6443";
        using var put = await _http.PutAsync(Api.Item(name), Api.Body(body));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(3, Api.Generation(await Api.ReadJsonAsync(put)));
        Assert.Equal(3, Api.Generation(await Api.GetAsync(_http, name)));
    }

    [Fact]
    public async Task Patch_NoOpChange_KeepsResourceVersion()
    {
        var name = Api.UniqueName("noop");
        var created = await Api.CreateAsync(_http, name, Labels("a", "b"));
        var patched = await Api.PatchAsync(_http, Api.Item(name), "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}");
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(patched));
    }

    [Fact]
    public async Task Update_KeepsUidAndCreationTimestamp()
    {
        var name = Api.UniqueName("keepuid");
        var created = await Api.CreateAsync(_http, name);
        var body = System.Text.Json.Nodes.JsonNode.Parse(created.GetRawText())!.AsObject();
        body["metadata"]!.AsObject().Remove("uid");
        body["metadata"]!["creationTimestamp"] = "2001-01-01T00:00:00Z";
        body["metadata"]!["labels"] = new System.Text.Json.Nodes.JsonObject { ["u"] = "1" };

        using var put = await _http.PutAsync(Api.Item(name), Api.Body(body));

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var updated = await Api.ReadJsonAsync(put);
        Assert.Equal(created.GetProperty("metadata").GetProperty("uid").GetString(), updated.GetProperty("metadata").GetProperty("uid").GetString());
        Assert.Equal(created.GetProperty("metadata").GetProperty("creationTimestamp").GetString(),
            updated.GetProperty("metadata").GetProperty("creationTimestamp").GetString());
        Assert.Equal("1", Api.Label(updated, "u"));
    }

    [Fact]
    public async Task Patch_JsonPatch_AppliesOperations()
    {
        var name = Api.UniqueName("jp");
        await Api.CreateAsync(_http, name, Labels("env", "prod"));
        var patched = await Api.PatchAsync(_http, Api.Item(name),
            "[{\"op\":\"test\",\"path\":\"/metadata/labels/env\",\"value\":\"prod\"},{\"op\":\"replace\",\"path\":\"/metadata/labels/env\",\"value\":\"dev\"},{\"op\":\"add\",\"path\":\"/metadata/labels/tier\",\"value\":\"gold\"}]",
            Api.JsonPatch + "; charset=utf-8");
        Assert.Equal("dev", Api.Label(patched, "env"));
        Assert.Equal("gold", Api.Label(patched, "tier"));
    }

    [Fact]
    public async Task Response_CarriesNoCacheHeader()
    {
        using var response = await _http.GetAsync(Api.Collection + "?limit=1");
        Assert.Contains("no-cache", response.Headers.CacheControl?.ToString() ?? "");
    }
}

/// <summary>
/// Pagination on a server of its own, so the snapshot arithmetic (remainingItemCount without a selector) is exact:
/// tests in one class run one after another.
/// </summary>
public sealed class PaginationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly HttpClient _http = fixture.Client;

    private async Task<List<JsonElement>> PagesAsync(string query, int limit)
    {
        var pages = new List<JsonElement>();
        string? token = null;
        for (var i = 0; i < 100; i++)
        {
            var q = $"{query}&limit={limit}" + (token is null ? "" : "&continue=" + Api.Enc(token));
            var page = await Api.ListAsync(_http, q.TrimStart('&'));
            pages.Add(page);
            token = page.GetProperty("metadata").TryGetProperty("continue", out var c) ? c.GetString() : null;
            if (string.IsNullOrEmpty(token)) return pages;
        }
        throw new Xunit.Sdk.XunitException("pagination did not end after 100 pages");
    }

    [Fact]
    public async Task List_LimitTwoOverFiveObjects_ReturnsEachOnceWithContinueAndRemainingCount()
    {
        var mine = Enumerable.Range(0, 5).Select(i => Api.UniqueName($"page{i}")).ToArray();
        foreach (var n in mine) await Api.CreateAsync(_http, n);
        var all = (await Api.ListAsync(_http, "")).GetProperty("items").EnumerateArray().Select(Api.Name).ToArray();
        Assert.Superset(mine.ToHashSet(), all.ToHashSet());

        var pages = await PagesAsync("", 2);

        var seen = pages.SelectMany(p => p.GetProperty("items").EnumerateArray().Select(Api.Name)).ToArray();
        Assert.Equal(all.Length, seen.Length);
        Assert.Equal(all.Order(), seen.Order());
        Assert.Equal(seen.Distinct().Count(), seen.Length);
        Assert.Equal((all.Length + 1) / 2, pages.Count);
        for (var i = 0; i < pages.Count; i++)
        {
            var meta = pages[i].GetProperty("metadata");
            Assert.False(string.IsNullOrEmpty(meta.GetProperty("resourceVersion").GetString()));
            var last = i == pages.Count - 1;
            if (!last)
            {
                Assert.Equal(2, pages[i].GetProperty("items").GetArrayLength());
                Assert.False(string.IsNullOrEmpty(meta.GetProperty("continue").GetString()));
                Assert.Equal(all.Length - 2 * (i + 1), meta.GetProperty("remainingItemCount").GetInt64());
            }
            else
            {
                Assert.False(meta.TryGetProperty("continue", out var c) && !string.IsNullOrEmpty(c.GetString()));
                Assert.False(meta.TryGetProperty("remainingItemCount", out var r) && r.ValueKind != JsonValueKind.Null);
            }
        }
    }

    [Fact]
    public async Task List_LimitTwoWithLabelSelector_ReturnsExactlyTheSelection()
    {
        var sel = Api.UniqueValue();
        var mine = Enumerable.Range(0, 5).Select(i => Api.UniqueName($"lsel{i}")).ToArray();
        foreach (var n in mine) await Api.CreateAsync(_http, n, new Dictionary<string, string> { ["psel"] = sel });
        await Api.CreateAsync(_http, Api.UniqueName("lsel-other"), new Dictionary<string, string> { ["psel"] = "other" });

        var pages = await PagesAsync($"labelSelector=psel%3D{sel}", 2);

        var seen = pages.SelectMany(p => p.GetProperty("items").EnumerateArray().Select(Api.Name)).ToArray();
        Assert.Equal(mine.Order(), seen.Order());
        Assert.Equal([2, 2, 1], pages.Select(p => p.GetProperty("items").GetArrayLength()).ToArray());
        // kube-apiserver omits remainingItemCount with a selector; if a count is sent, it must be the true one.
        if (pages[0].GetProperty("metadata").TryGetProperty("remainingItemCount", out var remaining) && remaining.ValueKind != JsonValueKind.Null)
            Assert.Equal(3, remaining.GetInt64());
    }

    [Fact]
    public async Task List_ContinueAfterWrites_ServesFirstPageSnapshot()
    {
        var sel = Api.UniqueValue();
        var prefix = Api.UniqueName("snap");
        var names = Enumerable.Range(1, 4).Select(i => $"{prefix}-{i}").ToArray();
        var created = new Dictionary<string, JsonElement>();
        foreach (var n in names) created[n] = await Api.CreateAsync(_http, n, new Dictionary<string, string> { ["snap"] = sel });

        var first = await Api.ListAsync(_http, $"labelSelector=snap%3D{sel}&limit=2");
        Assert.Equal(names[..2], first.GetProperty("items").EnumerateArray().Select(Api.Name).ToArray());
        var token = first.GetProperty("metadata").GetProperty("continue").GetString()!;

        // Between pages: a new object that sorts into a later page, and a change to an object of a later page.
        var newcomer = $"{prefix}-25";
        await Api.CreateAsync(_http, newcomer, new Dictionary<string, string> { ["snap"] = sel });
        await Api.PatchAsync(_http, Api.Item(names[2]), "{\"metadata\":{\"annotations\":{\"changed\":\"after-first-page\"}}}");

        var rest = new List<JsonElement>();
        for (var i = 0; i < 10 && !string.IsNullOrEmpty(token); i++)
        {
            var page = await Api.ListAsync(_http, $"labelSelector=snap%3D{sel}&limit=2&continue={Api.Enc(token)}");
            rest.AddRange(page.GetProperty("items").EnumerateArray());
            token = page.GetProperty("metadata").TryGetProperty("continue", out var c) ? c.GetString()! : "";
        }

        Assert.Equal(names[2..], rest.Select(Api.Name).ToArray());
        Assert.DoesNotContain(newcomer, rest.Select(Api.Name));
        var third = rest.Single(o => Api.Name(o) == names[2]);
        Assert.Equal(Api.ResourceVersion(created[names[2]]), Api.ResourceVersion(third));
        Assert.False(third.GetProperty("metadata").TryGetProperty("annotations", out var ann) && ann.TryGetProperty("changed", out _));
    }
}
