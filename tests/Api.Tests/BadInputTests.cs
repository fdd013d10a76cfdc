using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClusterRegistry.Tests.Http;

/// <summary>
/// Bad requests against the server: each must answer kube-apiserver's Status JSON with the right code (never 5xx)
/// and must leave nothing stored or changed.
/// </summary>
public sealed class BadInputTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly HttpClient _http = fixture.Client;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Create_MalformedJson_Returns400BadRequestAndStoresNothing()
    {
        var name = Api.UniqueName("badjson");
        var text = $"{{\"apiVersion\":\"{Api.ApiVersion}\",\"kind\":\"Cluster\",\"metadata\":{{\"name\":\"{name}\"}},\"spec\":{{";
        using var response = await _http.PostAsync(Api.Collection, Api.Body(text));
        await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
        await Api.AssertAbsentAsync(_http, name);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"a string\"")]
    [InlineData("42")]
    [InlineData("null")]
    public async Task Create_JsonThatIsNotAnObject_Returns400BadRequest(string text)
    {
        using var response = await _http.PostAsync(Api.Collection, Api.Body(text));
        await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
    }

    [Fact]
    public async Task Create_MalformedYaml_Returns400BadRequestAndStoresNothing()
    {
        var name = Api.UniqueName("badyaml");
        var yaml = $"apiVersion: {Api.ApiVersion}\nkind: Cluster\nmetadata:\n  name: {name}\n spec: [\n  - {{\n";
        using var response = await _http.PostAsync(Api.Collection, Api.Body(yaml, "application/yaml"));
        await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task Create_WrongApiVersion_Returns400DoesNotMatchExpectedApiVersion()
    {
        var name = Api.UniqueName("badver");
        var body = Api.NewCluster(name);
        body["apiVersion"] = "clusterregistry.k8s.io/v1";
        using var response = await _http.PostAsync(Api.Collection, Api.Body(body));
        var status = await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
        Assert.Equal(
            "the API version in the data (clusterregistry.k8s.io/v1) does not match the expected API version (clusterregistry.k8s.io/v1alpha1)",
            Api.Message(status));
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task Create_WrongKind_Returns400BadRequestAndStoresNothing()
    {
        var name = Api.UniqueName("badkind");
        var body = Api.NewCluster(name);
        body["kind"] = "Pod";
        using var response = await _http.PostAsync(Api.Collection, Api.Body(body));
        var status = await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains("Pod", Api.Message(status));
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task Update_NameInBodyDiffersFromUrl_Returns400AndChangesNothing()
    {
        var name = Api.UniqueName("rename");
        var other = Api.UniqueName("rename");
        var created = await Api.CreateAsync(_http, name);
        var body = Api.NewCluster(other, serverAddress: "10.9.9.9:6443");
        body["metadata"]!["resourceVersion"] = Api.ResourceVersion(created);

        using var response = await _http.PutAsync(Api.Item(name), Api.Body(body));

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
        Assert.Equal($"the name of the object ({other}) does not match the name on the URL ({name})", Api.Message(status));
        var stored = await Api.GetAsync(_http, name);
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(stored));
        Assert.Equal("10.0.0.1:6443", Api.FirstServerAddress(stored));
        await Api.AssertAbsentAsync(_http, other);
    }

    [Fact]
    public async Task Create_JsonNested5000Deep_Returns400NotServerError()
    {
        var name = Api.UniqueName("deep");
        var sb = new StringBuilder($"{{\"apiVersion\":\"{Api.ApiVersion}\",\"kind\":\"Cluster\",\"metadata\":{{\"name\":\"{name}\"}},\"spec\":");
        for (var i = 0; i < 5000; i++) sb.Append("{\"a\":");
        sb.Append('1');
        sb.Append('}', 5000);
        sb.Append('}');

        using var response = await _http.PostAsync(Api.Collection, Api.Body(sb.ToString()));

        await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task Create_TextPlainContentType_Returns415UnsupportedMediaType()
    {
        var name = Api.UniqueName("plain");
        using var response = await _http.PostAsync(Api.Collection, Api.Body(Api.NewCluster(name).ToJsonString(), "text/plain"));
        await Api.AssertFailureAsync(response, HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType");
        await Api.AssertAbsentAsync(_http, name);
    }

    /// <summary>
    /// PATCH needs a patch media type: plain JSON (and anything else unknown) is 415 with the accepted list, and that list
    /// must be exactly what OpenAPI advertises for PATCH (kubectl apply picks its patch type from OpenAPI).
    /// </summary>
    [Theory]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    public async Task Patch_NonPatchContentType_Returns415ListingAdvertisedPatchTypes(string contentType)
    {
        var name = Api.UniqueName("patchct");
        var created = await Api.CreateAsync(_http, name);

        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name), "{\"metadata\":{\"labels\":{\"ct\":\"yes\"}}}", contentType);

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType");
        const string prefix = "the body of the request was in an unknown format - accepted media types include: ";
        Assert.StartsWith(prefix, Api.Message(status));
        var accepted = Api.Message(status)[prefix.Length..].Split(',', StringSplitOptions.TrimEntries).Order().ToArray();
        Assert.Equal((await Api.AdvertisedPatchTypesAsync(_http)).Order(), accepted);
        var stored = await Api.GetAsync(_http, name);
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(stored));
        Assert.Null(Api.Label(stored, "ct"));
    }

    [Fact]
    public async Task Patch_ApplyWithoutFieldManager_Returns422AndCreatesNothing()
    {
        var name = Api.UniqueName("applynofm");
        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name), Api.NewCluster(name).ToJsonString(), "application/apply-patch+yaml");
        var status = await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Equal("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch", Api.Message(status));
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task Patch_ForceOnMergePatch_Returns422AndChangesNothing()
    {
        var name = Api.UniqueName("forcemp");
        var created = await Api.CreateAsync(_http, name);
        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name) + "?force=true",
            "{\"metadata\":{\"labels\":{\"f\":\"1\"}}}", Api.MergePatch);
        var status = await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Contains("force: Forbidden: may not be specified for non-apply patch", Api.Message(status));
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(await Api.GetAsync(_http, name)));
    }

    [Fact]
    public async Task List_MalformedLabelSelector_Returns400()
    {
        using var response = await _http.GetAsync(Api.Collection + "?labelSelector=a%20in%20(b");
        await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
    }

    [Fact]
    public async Task List_UnknownFieldSelector_Returns400FieldLabelNotSupported()
    {
        using var response = await _http.GetAsync(Api.Collection + "?fieldSelector=" + Api.Enc("spec.x=y"));
        var status = await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains("field label not supported", Api.Message(status));
        Assert.Contains("spec.x", Api.Message(status));
    }

    [Fact]
    public async Task Watch_UnknownFieldSelector_Returns400()
    {
        using var response = await _http.GetAsync(Api.Collection + "?watch=true&fieldSelector=" + Api.Enc("spec.x=y"));
        var status = await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains("field label not supported", Api.Message(status));
    }

    [Fact]
    public async Task List_FieldSelectorOnMetadataName_ReturnsOnlyThatObject()
    {
        var name = Api.UniqueName("fsel");
        await Api.CreateAsync(_http, name);
        await Api.CreateAsync(_http, Api.UniqueName("fsel"));
        var list = await Api.ListAsync(_http, "fieldSelector=" + Api.Enc("metadata.name=" + name));
        Assert.Equal([name], list.GetProperty("items").EnumerateArray().Select(Api.Name).ToArray());
    }

    [Fact]
    public async Task Patch_MalformedJsonPatch_Returns400AndChangesNothing()
    {
        var name = Api.UniqueName("badjp");
        var created = await Api.CreateAsync(_http, name);

        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name),
            "[{\"op\":\"replace\",\"path\":\"/metadata/labels\",", Api.JsonPatch);

        await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(await Api.GetAsync(_http, name)));
    }

    [Fact]
    public async Task Patch_MalformedMergePatch_Returns400AndChangesNothing()
    {
        var name = Api.UniqueName("badmp");
        var created = await Api.CreateAsync(_http, name);

        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name), "{\"metadata\":", Api.MergePatch);

        await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(await Api.GetAsync(_http, name)));
    }

    [Fact]
    public async Task Patch_JsonPatchTestOpFails_Returns422AndChangesNothing()
    {
        var name = Api.UniqueName("jptest");
        var created = await Api.CreateAsync(_http, name, new Dictionary<string, string> { ["env"] = "prod" });

        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name),
            "[{\"op\":\"test\",\"path\":\"/metadata/labels/env\",\"value\":\"dev\"},{\"op\":\"replace\",\"path\":\"/metadata/labels/env\",\"value\":\"test\"}]",
            Api.JsonPatch);

        await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        var stored = await Api.GetAsync(_http, name);
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(stored));
        Assert.Equal("prod", Api.Label(stored, "env"));
    }

    [Fact]
    public async Task Patch_MergePatchEmptyServerAddress_Returns422WithFieldPathCause()
    {
        var name = Api.UniqueName("mpinv");
        var created = await Api.CreateAsync(_http, name);

        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name),
            "{\"spec\":{\"kubernetesApiEndpoints\":{\"serverEndpoints\":[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"\"}]}}}", Api.MergePatch);

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.StartsWith($"Cluster.clusterregistry.k8s.io \"{name}\" is invalid: ", Api.Message(status));
        var details = status.GetProperty("details");
        Assert.Equal(name, details.GetProperty("name").GetString());
        Assert.Equal(Api.Group, details.GetProperty("group").GetString());
        Assert.Equal("Cluster", details.GetProperty("kind").GetString());
        var fields = details.GetProperty("causes").EnumerateArray().Select(c => c.GetProperty("field").GetString()).ToArray();
        Assert.Contains("spec.kubernetesApiEndpoints.serverEndpoints[0].serverAddress", fields);
        var stored = await Api.GetAsync(_http, name);
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(stored));
        Assert.Equal("10.0.0.1:6443", Api.FirstServerAddress(stored));
    }

    [Fact]
    public async Task Patch_MergePatchInvalidLabelValue_Returns422WithLabelsCause()
    {
        var name = Api.UniqueName("mplbl");
        var created = await Api.CreateAsync(_http, name);

        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name), "{\"metadata\":{\"labels\":{\"env\":\"not valid!\"}}}", Api.MergePatch);

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        var cause = status.GetProperty("details").GetProperty("causes")[0];
        Assert.Equal("FieldValueInvalid", cause.GetProperty("reason").GetString());
        Assert.Equal("metadata.labels", cause.GetProperty("field").GetString());
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(await Api.GetAsync(_http, name)));
    }

    /// <summary>kube-apiserver checks the patched object's name against the URL (handlers/patch.go checkName) before validation.</summary>
    [Fact]
    public async Task Patch_MergePatchChangingName_Returns400NameMismatchAndChangesNothing()
    {
        var name = Api.UniqueName("mpname");
        var created = await Api.CreateAsync(_http, name);

        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name), "{\"metadata\":{\"name\":\"Bad_Name\"}}", Api.MergePatch);

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
        Assert.Equal($"the name of the object (Bad_Name) does not match the name on the URL ({name})", Api.Message(status));
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(await Api.GetAsync(_http, name)));
    }

    [Fact]
    public async Task Create_InvalidName_Returns422WithMetadataNameCause()
    {
        using var response = await _http.PostAsync(Api.Collection, Api.Body(Api.NewCluster("Bad_Name")));

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Equal(
            "Cluster.clusterregistry.k8s.io \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            Api.Message(status));
        var details = status.GetProperty("details");
        Assert.Equal("Bad_Name", details.GetProperty("name").GetString());
        Assert.Equal(Api.Group, details.GetProperty("group").GetString());
        Assert.Equal("Cluster", details.GetProperty("kind").GetString());
        var cause = details.GetProperty("causes")[0];
        Assert.Equal("metadata.name", cause.GetProperty("field").GetString());
        Assert.Equal("FieldValueInvalid", cause.GetProperty("reason").GetString());
        Assert.StartsWith("Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain", cause.GetProperty("message").GetString());
        await Api.AssertAbsentAsync(_http, "Bad_Name");
    }

    [Fact]
    public async Task Create_NoNameNorGenerateName_Returns422RequiredValue()
    {
        var body = Api.NewCluster("x");
        ((JsonObject)body["metadata"]!).Remove("name");
        using var response = await _http.PostAsync(Api.Collection, Api.Body(body));
        var status = await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        var cause = status.GetProperty("details").GetProperty("causes")[0];
        Assert.Equal("metadata.name", cause.GetProperty("field").GetString());
        Assert.Equal("FieldValueRequired", cause.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Create_UnknownFieldStrict_Returns400StrictDecodingError()
    {
        var name = Api.UniqueName("strict");
        var body = Api.NewCluster(name);
        body["spec"]!["foo"] = "bar";

        using var response = await _http.PostAsync(Api.Collection + "?fieldValidation=Strict", Api.Body(body));

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
        Assert.Equal("Cluster in version \"v1alpha1\" cannot be handled as a Cluster: strict decoding error: unknown field \"spec.foo\"", Api.Message(status));
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task Patch_UnknownFieldStrict_Returns400AndChangesNothing()
    {
        var name = Api.UniqueName("strictp");
        var created = await Api.CreateAsync(_http, name);

        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name) + "?fieldValidation=Strict",
            "{\"metadata\":{\"labels\":{\"s\":\"1\"}},\"spec\":{\"foo\":\"bar\"}}", Api.MergePatch);

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains("strict decoding error: unknown field \"spec.foo\"", Api.Message(status));
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(await Api.GetAsync(_http, name)));
    }

    [Theory]
    [InlineData("?fieldValidation=Warn")]
    [InlineData("")]
    public async Task Create_UnknownFieldWarnOrDefault_Returns201WithWarningHeader(string query)
    {
        var name = Api.UniqueName("warn");
        var body = Api.NewCluster(name);
        body["spec"]!["foo"] = "bar";

        using var response = await _http.PostAsync(Api.Collection + query, Api.Body(body));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.True(response.Headers.TryGetValues("Warning", out var warnings), "no Warning header");
        Assert.Contains("299 - \"unknown field \\\"spec.foo\\\"\"", warnings);
        var created = await Api.ReadJsonAsync(response);
        Assert.False(created.GetProperty("spec").TryGetProperty("foo", out _), "the unknown field was stored");
        Assert.False((await Api.GetAsync(_http, name)).GetProperty("spec").TryGetProperty("foo", out _));
    }

    [Fact]
    public async Task Create_UnknownFieldIgnore_Returns201WithoutWarning()
    {
        var name = Api.UniqueName("ignore");
        var body = Api.NewCluster(name);
        body["spec"]!["foo"] = "bar";

        using var response = await _http.PostAsync(Api.Collection + "?fieldValidation=Ignore", Api.Body(body));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.False(response.Headers.Contains("Warning"));
    }

    [Fact]
    public async Task Create_BogusFieldValidation_Returns422AndStoresNothing()
    {
        var name = Api.UniqueName("bogusfv");
        using var response = await _http.PostAsync(Api.Collection + "?fieldValidation=Bogus", Api.Body(Api.NewCluster(name)));
        var status = await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Contains("fieldValidation: Unsupported value: \"Bogus\"", Api.Message(status));
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task Create_BogusDryRun_Returns422AndStoresNothing()
    {
        var name = Api.UniqueName("bogusdr");
        using var response = await _http.PostAsync(Api.Collection + "?dryRun=Maybe", Api.Body(Api.NewCluster(name)));
        var status = await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Contains("dryRun", Api.Message(status));
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task Create_NamespaceInBody_IsClearedAndReturns201()
    {
        var name = Api.UniqueName("ns");
        var body = Api.NewCluster(name);
        body["metadata"]!["namespace"] = "default";

        var created = await Api.CreateAsync(_http, body);

        Assert.False(created.GetProperty("metadata").TryGetProperty("namespace", out var ns) && ns.GetString() is { Length: > 0 },
            "the returned object carries a namespace");
        var stored = await Api.GetAsync(_http, name);
        Assert.False(stored.GetProperty("metadata").TryGetProperty("namespace", out ns) && ns.GetString() is { Length: > 0 });
    }

    [Fact]
    public async Task Update_WithoutResourceVersion_Returns422AndChangesNothing()
    {
        var name = Api.UniqueName("norv");
        var created = await Api.CreateAsync(_http, name);

        using var response = await _http.PutAsync(Api.Item(name), Api.Body(Api.NewCluster(name, serverAddress: "10.7.7.7:443")));

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Contains("metadata.resourceVersion: Invalid value: 0x0: must be specified for an update", Api.Message(status));
        Assert.Equal("metadata.resourceVersion", status.GetProperty("details").GetProperty("causes")[0].GetProperty("field").GetString());
        var stored = await Api.GetAsync(_http, name);
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(stored));
        Assert.Equal("10.0.0.1:6443", Api.FirstServerAddress(stored));
    }

    [Fact]
    public async Task Update_StaleResourceVersion_Returns409ConflictWithKubeMessage()
    {
        var name = Api.UniqueName("stale");
        var created = await Api.CreateAsync(_http, name);
        var patched = await Api.PatchAsync(_http, Api.Item(name), "{\"metadata\":{\"labels\":{\"step\":\"one\"}}}");
        var body = Api.NewCluster(name, serverAddress: "10.7.7.7:443");
        body["metadata"]!["resourceVersion"] = Api.ResourceVersion(created);

        using var response = await _http.PutAsync(Api.Item(name), Api.Body(body));

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.Conflict, "Conflict");
        Assert.Equal(
            $"Operation cannot be fulfilled on clusters.clusterregistry.k8s.io \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            Api.Message(status));
        var details = status.GetProperty("details");
        Assert.Equal(name, details.GetProperty("name").GetString());
        Assert.Equal(Api.Group, details.GetProperty("group").GetString());
        Assert.Equal("clusters", details.GetProperty("kind").GetString());
        var stored = await Api.GetAsync(_http, name);
        Assert.Equal(Api.ResourceVersion(patched), Api.ResourceVersion(stored));
        Assert.Equal("10.0.0.1:6443", Api.FirstServerAddress(stored));
        Assert.Equal("one", Api.Label(stored, "step"));
    }

    [Fact]
    public async Task Patch_StaleResourceVersionInPatch_Returns409Conflict()
    {
        var name = Api.UniqueName("stalep");
        var created = await Api.CreateAsync(_http, name);
        var patched = await Api.PatchAsync(_http, Api.Item(name), "{\"metadata\":{\"labels\":{\"step\":\"one\"}}}");

        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name),
            $"{{\"metadata\":{{\"resourceVersion\":\"{Api.ResourceVersion(created)}\",\"labels\":{{\"step\":\"two\"}}}}}}", Api.MergePatch);

        await Api.AssertFailureAsync(response, HttpStatusCode.Conflict, "Conflict");
        var stored = await Api.GetAsync(_http, name);
        Assert.Equal(Api.ResourceVersion(patched), Api.ResourceVersion(stored));
        Assert.Equal("one", Api.Label(stored, "step"));
    }

    [Fact]
    public async Task Update_MissingObject_Returns404AndCreatesNothing()
    {
        var name = Api.UniqueName("putmiss");
        var body = Api.NewCluster(name);
        body["metadata"]!["resourceVersion"] = "1";
        using var response = await _http.PutAsync(Api.Item(name), Api.Body(body));
        await Api.AssertFailureAsync(response, HttpStatusCode.NotFound, "NotFound");
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task Patch_MissingObject_Returns404AndCreatesNothing()
    {
        var name = Api.UniqueName("patchmiss");
        using var response = await Api.SendAsync(_http, HttpMethod.Patch, Api.Item(name), "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}", Api.MergePatch);
        await Api.AssertFailureAsync(response, HttpStatusCode.NotFound, "NotFound");
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task Create_Duplicate_Returns409AlreadyExistsAndKeepsOriginal()
    {
        var name = Api.UniqueName("dup");
        var created = await Api.CreateAsync(_http, name);

        using var response = await _http.PostAsync(Api.Collection, Api.Body(Api.NewCluster(name, serverAddress: "10.8.8.8:443")));

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.Conflict, "AlreadyExists");
        Assert.Equal($"clusters.clusterregistry.k8s.io \"{name}\" already exists", Api.Message(status));
        var details = status.GetProperty("details");
        Assert.Equal(name, details.GetProperty("name").GetString());
        Assert.Equal(Api.Group, details.GetProperty("group").GetString());
        Assert.Equal("clusters", details.GetProperty("kind").GetString());
        var stored = await Api.GetAsync(_http, name);
        Assert.Equal(created.GetProperty("metadata").GetProperty("uid").GetString(), stored.GetProperty("metadata").GetProperty("uid").GetString());
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(stored));
        Assert.Equal("10.0.0.1:6443", Api.FirstServerAddress(stored));
    }

    [Fact]
    public async Task Get_Missing_Returns404NotFoundWithDetails()
    {
        using var response = await _http.GetAsync(Api.Item("x"));
        var status = await Api.AssertFailureAsync(response, HttpStatusCode.NotFound, "NotFound");
        Assert.Equal("clusters.clusterregistry.k8s.io \"x\" not found", Api.Message(status));
        var details = status.GetProperty("details");
        Assert.Equal("x", details.GetProperty("name").GetString());
        Assert.Equal(Api.Group, details.GetProperty("group").GetString());
        Assert.Equal("clusters", details.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Request_WithoutToken_Returns401Unauthorized()
    {
        using var anonymous = fixture.Server.CreateClient(authenticated: false);
        var name = Api.UniqueName("anon");

        using (var list = await anonymous.GetAsync(Api.Collection))
        {
            var status = await Api.AssertFailureAsync(list, HttpStatusCode.Unauthorized, "Unauthorized");
            Assert.Equal("Unauthorized", Api.Message(status));
        }
        using (var create = await anonymous.PostAsync(Api.Collection, Api.Body(Api.NewCluster(name))))
            await Api.AssertFailureAsync(create, HttpStatusCode.Unauthorized, "Unauthorized");
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task Request_WithUnknownToken_Returns401Unauthorized()
    {
        using var client = fixture.Server.CreateClient(authenticated: false);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-real-token");
        var name = Api.UniqueName("badtok");
        using (var create = await client.PostAsync(Api.Collection, Api.Body(Api.NewCluster(name))))
            await Api.AssertFailureAsync(create, HttpStatusCode.Unauthorized, "Unauthorized");
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task List_ResourceVersionMatchExactWithoutResourceVersion_Returns422()
    {
        using var response = await _http.GetAsync(Api.Collection + "?resourceVersionMatch=Exact");
        var status = await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.StartsWith("ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch", Api.Message(status));
        Assert.Equal("meta.k8s.io", status.GetProperty("details").GetProperty("group").GetString());
    }

    [Theory]
    [InlineData("resourceVersion=0&resourceVersionMatch=Exact")]
    [InlineData("resourceVersion=1&resourceVersionMatch=Sometimes")]
    [InlineData("sendInitialEvents=true")]
    public async Task List_InvalidListOptions_Returns422(string query)
    {
        using var response = await _http.GetAsync(Api.Collection + "?" + query);
        var status = await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.StartsWith("ListOptions.meta.k8s.io \"\" is invalid: ", Api.Message(status));
    }

    [Fact]
    public async Task List_GarbageContinueToken_Returns400()
    {
        using var response = await _http.GetAsync(Api.Collection + "?limit=1&continue=garbage");
        var status = await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
        Assert.StartsWith("invalid continue token", Api.Message(status));
    }

    [Fact]
    public async Task List_ContinueWithResourceVersion_Returns400()
    {
        var label = Api.UniqueValue();
        for (var i = 0; i < 3; i++) await Api.CreateAsync(_http, Api.UniqueName("contrv"), new Dictionary<string, string> { ["contrv"] = label });
        var first = await Api.ListAsync(_http, $"labelSelector=contrv%3D{label}&limit=1");
        var token = first.GetProperty("metadata").GetProperty("continue").GetString()!;

        using var response = await _http.GetAsync(Api.Collection + $"?labelSelector=contrv%3D{label}&limit=1&resourceVersion={Api.ResourceVersion(first)}&continue={Api.Enc(token)}");

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
        Assert.Equal("specifying resource version is not allowed when using continue", Api.Message(status));
    }

    [Fact]
    public async Task Delete_UidPreconditionMismatch_Returns409AndKeepsObject()
    {
        var name = Api.UniqueName("preuid");
        var created = await Api.CreateAsync(_http, name);
        var uid = created.GetProperty("metadata").GetProperty("uid").GetString();
        const string wrongUid = "00000000-0000-0000-0000-000000000001";

        using var response = await Api.SendAsync(_http, HttpMethod.Delete, Api.Item(name),
            $"{{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"preconditions\":{{\"uid\":\"{wrongUid}\"}}}}");

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.Conflict, "Conflict");
        Assert.Equal(
            $"Operation cannot be fulfilled on Cluster.clusterregistry.k8s.io \"{name}\": the UID in the precondition ({wrongUid}) does not match the UID in record ({uid}). The object might have been deleted and then recreated",
            Api.Message(status));
        Assert.Equal("Cluster", status.GetProperty("details").GetProperty("kind").GetString());
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(await Api.GetAsync(_http, name)));
    }

    [Fact]
    public async Task Delete_ResourceVersionPreconditionMismatch_Returns409AndKeepsObject()
    {
        var name = Api.UniqueName("prerv");
        var created = await Api.CreateAsync(_http, name);
        var patched = await Api.PatchAsync(_http, Api.Item(name), "{\"metadata\":{\"labels\":{\"step\":\"one\"}}}");

        using var response = await Api.SendAsync(_http, HttpMethod.Delete, Api.Item(name),
            $"{{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"preconditions\":{{\"resourceVersion\":\"{Api.ResourceVersion(created)}\"}}}}");

        var status = await Api.AssertFailureAsync(response, HttpStatusCode.Conflict, "Conflict");
        Assert.Equal(
            $"Operation cannot be fulfilled on Cluster.clusterregistry.k8s.io \"{name}\": the ResourceVersion in the precondition ({Api.ResourceVersion(created)}) does not match the ResourceVersion in record ({Api.ResourceVersion(patched)}). The object might have been modified",
            Api.Message(status));
        Assert.Equal(Api.ResourceVersion(patched), Api.ResourceVersion(await Api.GetAsync(_http, name)));
    }

    [Fact]
    public async Task Delete_MissingObject_Returns404NotFound()
    {
        using var response = await _http.DeleteAsync(Api.Item(Api.UniqueName("delmiss")));
        await Api.AssertFailureAsync(response, HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task Delete_BadPropagationPolicy_Returns422AndKeepsObject()
    {
        var name = Api.UniqueName("badpp");
        var created = await Api.CreateAsync(_http, name);
        using var response = await Api.SendAsync(_http, HttpMethod.Delete, Api.Item(name),
            "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":\"Sideways\"}");
        await Api.AssertFailureAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Equal(Api.ResourceVersion(created), Api.ResourceVersion(await Api.GetAsync(_http, name)));
    }

    [Fact]
    public async Task Post_OnItemPath_Returns405MethodNotAllowed()
    {
        var name = Api.UniqueName("post405");
        using var response = await _http.PostAsync(Api.Item(name), Api.Body(Api.NewCluster(name)));
        await Api.AssertFailureAsync(response, HttpStatusCode.MethodNotAllowed, "MethodNotAllowed");
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task Put_OnCollection_Returns405MethodNotAllowed()
    {
        var name = Api.UniqueName("put405");
        using var response = await _http.PutAsync(Api.Collection, Api.Body(Api.NewCluster(name)));
        await Api.AssertFailureAsync(response, HttpStatusCode.MethodNotAllowed, "MethodNotAllowed");
        await Api.AssertAbsentAsync(_http, name);
    }

    [Fact]
    public async Task Get_TableWithBogusIncludeObject_Returns400()
    {
        using var response = await Api.SendAsync(_http, HttpMethod.Get, Api.Collection + "?includeObject=Everything",
            accept: "application/json;as=Table;v=v1;g=meta.k8s.io");
        var status = await Api.AssertFailureAsync(response, HttpStatusCode.BadRequest, "BadRequest");
        Assert.Equal("unrecognized includeObject value: \"Everything\"", Api.Message(status));
    }

    [Fact]
    public async Task Requests_AfterBadInput_ServerStillHealthy()
    {
        // Bad input must never take the server down: a burst of mixed bad requests, then a normal round trip.
        var tasks = new List<Task<HttpResponseMessage>>();
        for (var i = 0; i < 10; i++)
        {
            tasks.Add(_http.PostAsync(Api.Collection, Api.Body("{\"kind\":")));
            tasks.Add(_http.GetAsync(Api.Collection + "?labelSelector=%3D%3D%3D"));
        }
        foreach (var r in await Task.WhenAll(tasks).WaitAsync(Wait))
        {
            Assert.True((int)r.StatusCode is >= 400 and < 500, $"got {(int)r.StatusCode}");
            r.Dispose();
        }
        var name = Api.UniqueName("healthy");
        await Api.CreateAsync(_http, name);
        Assert.Equal(name, Api.Name(await Api.GetAsync(_http, name)));
        Assert.Equal(JsonValueKind.Object, (await Api.ListAsync(_http, "limit=1")).ValueKind);
    }
}
