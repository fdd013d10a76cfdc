using System.Net;
using System.Text.Json.Nodes;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using static ClusterRegistry.Tests.EndToEnd.Security.SecurityAssert;

namespace ClusterRegistry.Tests.EndToEnd.Security;

/// <summary>
/// The audit log of a real server (--audit-log-path, --audit-log-level, --audit-policy-file): audit.k8s.io/v1 Events
/// as JSON lines, read back from the file while the server runs.
/// </summary>
public sealed class AuditLogTests : IAsyncLifetime
{
    private const string Token = "audit-secret-token-5f2c9a7e1b3d4c6a";
    private const string WrongToken = "audit-wrong-token-8e7d6c5b4a392817";
    private const string QuietToken = "audit-quiet-token-2b4d6f8a0c1e3579";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cr-audit-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly List<ServerProcess> _servers = [];

    private string AuditPath => Path.Combine(_dir, "audit", "audit.log");

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        return File.WriteAllTextAsync(Path.Combine(_dir, "tokens.csv"),
            $"{Token},auditor,auditor-uid,\"auditors\"\n{QuietToken},quiet,quiet-uid,\"auditors\"\n");
    }

    public async Task DisposeAsync()
    {
        foreach (var s in _servers) await s.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<ServerProcess> StartAsync(string? level)
    {
        var args = new List<string> { "--token-auth-file", Path.Combine(_dir, "tokens.csv"), "--audit-log-path", AuditPath };
        if (level is not null) args.AddRange(["--audit-log-level", level]);
        var server = await ServerProcess.StartAsync(Path.Combine(_dir, "server"), null, false, [.. args]);
        _servers.Add(server);
        return server;
    }

    private async Task<ServerProcess> StartWithPolicyAsync(string policy)
    {
        var file = Path.Combine(_dir, "policy.yaml");
        await File.WriteAllTextAsync(file, policy);
        var args = new[] { "--token-auth-file", Path.Combine(_dir, "tokens.csv"), "--audit-log-path", AuditPath, "--audit-policy-file", file };
        var server = await ServerProcess.StartAsync(Path.Combine(_dir, "server"), null, false, args);
        _servers.Add(server);
        return server;
    }

    private List<JsonObject> ReadEvents()
    {
        if (!File.Exists(AuditPath)) return [];
        using var stream = new FileStream(AuditPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var events = new List<JsonObject>();
        foreach (var line in reader.ReadToEnd().Split('\n'))
        {
            if (line.Length == 0) continue;
            // A line still being written is incomplete; it is read on the next poll.
            try
            {
                if (JsonNode.Parse(line) is JsonObject e) events.Add(e);
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }
        return events;
    }

    private static string AuditId(HttpResponseMessage response)
    {
        Assert.True(response.Headers.TryGetValues("Audit-Id", out var values), "no Audit-Id response header");
        return Assert.Single(values);
    }

    /// <summary>Waits until every audit ID has its ResponseComplete event; returns the events by ID.</summary>
    private async Task<Dictionary<string, List<JsonObject>>> EventsForAsync(params string[] auditIds)
    {
        List<JsonObject> events = [];
        await EventuallyAsync(() =>
        {
            events = ReadEvents();
            return Task.FromResult(auditIds.All(id => events.Any(e => S(e, "auditID") == id && S(e, "stage") == "ResponseComplete")));
        }, "the ResponseComplete audit events of " + string.Join(", ", auditIds));
        return auditIds.ToDictionary(id => id, id => events.Where(e => S(e, "auditID") == id).ToList());
    }

    private static string? S(JsonNode? node, string key) => node?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static void AssertEvent(JsonObject e, string level, string verb, string? name, string requestUri)
    {
        Assert.Equal("Event", S(e, "kind"));
        Assert.Equal("audit.k8s.io/v1", S(e, "apiVersion"));
        Assert.Equal(level, S(e, "level"));
        Assert.Equal(verb, S(e, "verb"));
        Assert.Equal(requestUri, S(e, "requestURI"));
        Assert.True("auditor" == S(e["user"], "username"), $"{S(e, "stage")} event has user {e["user"]?.ToJsonString()}, expected username auditor");
        Assert.Equal("auditor-uid", S(e["user"], "uid"));
        Assert.Contains("auditors", Strings(e["user"]?["groups"]));
        Assert.Contains("system:authenticated", Strings(e["user"]?["groups"]));
        var objectRef = e["objectRef"];
        Assert.Equal("clusters", S(objectRef, "resource"));
        Assert.Equal("clusterregistry.k8s.io", S(objectRef, "apiGroup"));
        Assert.Equal("v1alpha1", S(objectRef, "apiVersion"));
        if (name is not null)
            Assert.True(name == S(objectRef, "name"), $"{S(e, "stage")} {verb} objectRef {objectRef?.ToJsonString()} lacks name {name}");
        Assert.False(string.IsNullOrEmpty(S(e, "requestReceivedTimestamp")));
        Assert.False(string.IsNullOrEmpty(S(e, "stageTimestamp")));
    }

    /// <summary>The two stages of one request, in order, with the code of the response.</summary>
    private static (JsonObject Received, JsonObject Complete) Stages(List<JsonObject> events, int code)
    {
        Assert.Equal(["RequestReceived", "ResponseComplete"], events.Select(e => S(e, "stage") ?? "").ToArray());
        Assert.Null(events[0]["responseStatus"]);
        Assert.Equal(code, events[1]["responseStatus"]?["code"]?.GetValue<int>());
        return (events[0], events[1]);
    }

    [Fact]
    public async Task AuditLog_CreateGetDeleteAtDefaultLevel_RecordsMetadataEventsForBothStages()
    {
        var server = await StartAsync(level: null);
        using var client = server.CreateClient(Token, null);
        var name = UniqueName("audited");

        using var create = await client.PostAsync(Collection, Json(ClusterJson(name)));
        using var get = await client.GetAsync(Item(name));
        using var delete = await client.DeleteAsync(Item(name));

        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        var ids = new[] { AuditId(create), AuditId(get), AuditId(delete) };
        Assert.Equal(3, ids.Distinct().Count());
        var events = await EventsForAsync(ids);

        var (createReceived, createComplete) = Stages(events[ids[0]], 201);
        AssertEvent(createReceived, "Metadata", "create", null, Collection);
        // kube-apiserver completes objectRef.name from the decoded object (audit.LogRequestObject).
        AssertEvent(createComplete, "Metadata", "create", name, Collection);
        foreach (var (id, verb, code) in new[] { (ids[1], "get", 200), (ids[2], "delete", 200) })
        {
            var (received, complete) = Stages(events[id], code);
            AssertEvent(received, "Metadata", verb, name, Item(name));
            AssertEvent(complete, "Metadata", verb, name, Item(name));
        }
        foreach (var e in events.Values.SelectMany(x => x))
        {
            Assert.Null(e["requestObject"]);
            Assert.Null(e["responseObject"]);
        }
        Assert.DoesNotContain(Token, await File.ReadAllTextAsync(AuditPath));
    }

    [Fact]
    public async Task AuditLog_FailedRequest_HasAuditIdHeaderAndRecordsErrorCode()
    {
        var server = await StartAsync(level: null);
        using var client = server.CreateClient(Token, null);
        var name = UniqueName("auditmiss");

        using var missing = await client.GetAsync(Item(name));
        using var invalid = await client.PostAsync(Collection, Json(ClusterJson("Not_A_Valid_Name")));

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        var ids = new[] { AuditId(missing), AuditId(invalid) };
        var events = await EventsForAsync(ids);
        var (received, complete) = Stages(events[ids[0]], 404);
        AssertEvent(received, "Metadata", "get", name, Item(name));
        AssertEvent(complete, "Metadata", "get", name, Item(name));
        Stages(events[ids[1]], 422);
    }

    [Fact]
    public async Task AuditLog_DeniedRequest_RecordedWithItsForbiddenCode()
    {
        // kube-apiserver's audit filter wraps authorization: a request the authorizer denies is still audited.
        var args = new[] { "--token-auth-file", Path.Combine(_dir, "tokens.csv"), "--audit-log-path", AuditPath, "--authorization-mode", "AlwaysDeny" };
        var server = await ServerProcess.StartAsync(Path.Combine(_dir, "server"), null, false, args);
        _servers.Add(server);
        using var client = server.CreateClient(Token, null);
        var name = UniqueName("auditdeny");

        using var denied = await client.GetAsync(Item(name));

        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        var id = AuditId(denied);
        var (received, complete) = Stages((await EventsForAsync(id))[id], 403);
        AssertEvent(received, "Metadata", "get", name, Item(name));
        AssertEvent(complete, "Metadata", "get", name, Item(name));
    }

    [Fact]
    public async Task AuditLog_LevelRequest_CreateHasRequestObjectButNoResponseObject()
    {
        var server = await StartAsync("Request");
        using var client = server.CreateClient(Token, null);
        var name = UniqueName("auditreq");

        using var create = await client.PostAsync(Collection, Json(ClusterJson(name)));

        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var id = AuditId(create);
        var events = (await EventsForAsync(id))[id];
        var (_, complete) = Stages(events, 201);
        AssertEvent(complete, "Request", "create", name, Collection);
        var requestObject = complete["requestObject"];
        Assert.NotNull(requestObject);
        Assert.Equal("Cluster", S(requestObject, "kind"));
        Assert.Equal(name, S(requestObject!["metadata"], "name"));
        Assert.Null(complete["responseObject"]);
        Assert.DoesNotContain(Token, await File.ReadAllTextAsync(AuditPath));
    }

    [Fact]
    public async Task AuditLog_LevelRequestResponse_CreateHasRequestAndResponseObjects()
    {
        var server = await StartAsync("RequestResponse");
        using var client = server.CreateClient(Token, null);
        var name = UniqueName("auditresp");

        using var create = await client.PostAsync(Collection, Json(ClusterJson(name)));
        using var whoami = await client.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews",
            Json("""{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"""));

        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        Assert.Equal(HttpStatusCode.Created, whoami.StatusCode);
        var id = AuditId(create);
        var events = (await EventsForAsync(id, AuditId(whoami)))[id];
        var (_, complete) = Stages(events, 201);
        AssertEvent(complete, "RequestResponse", "create", name, Collection);
        Assert.Equal(name, S(complete["requestObject"]?["metadata"], "name"));
        var responseObject = complete["responseObject"];
        Assert.NotNull(responseObject);
        Assert.Equal(name, S(responseObject!["metadata"], "name"));
        Assert.False(string.IsNullOrEmpty(S(responseObject["metadata"], "uid")));
        Assert.DoesNotContain(Token, await File.ReadAllTextAsync(AuditPath));
    }

    [Fact]
    public async Task AuditLog_RequestWithWrongToken_NeverRecordsThePresentedToken()
    {
        var server = await StartAsync("RequestResponse");
        using var wrong = server.CreateClient(WrongToken, null);
        using var right = server.CreateClient(Token, null);

        using var denied = await wrong.PostAsync(Collection, Json(ClusterJson(UniqueName("wrongtok"))));
        using var allowed = await right.GetAsync(Collection);

        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        await EventsForAsync(AuditId(allowed));
        var text = await File.ReadAllTextAsync(AuditPath);
        Assert.DoesNotContain(WrongToken, text);
        Assert.DoesNotContain(Token, text);
    }

    [Fact]
    public async Task AuditLog_LevelNone_RecordsNoEvents()
    {
        var server = await StartAsync("None");
        using var client = server.CreateClient(Token, null);

        using var create = await client.PostAsync(Collection, Json(ClusterJson(UniqueName("noaudit"))));
        using var list = await client.GetAsync(Collection);

        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Empty(ReadEvents());
    }

    [Fact]
    public async Task AuditLog_CredentialsInTheQuery_AreRedactedFromRequestUri()
    {
        var server = await StartAsync("Metadata");
        using var anonymous = server.CreateClient(null, null);
        using var client = server.CreateClient(Token, null);

        // Refused (query tokens are not a credential here) and accepted requests alike must not leave it in the log.
        using var refused = await anonymous.GetAsync(Collection + "?access_token=" + WrongToken);
        using var listed = await client.GetAsync(Collection + "?limit=5&Access_Token=" + WrongToken + "&password=" + Token);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        var id = AuditId(listed);
        var events = (await EventsForAsync(id))[id];
        var uri = S(events[^1], "requestURI");
        Assert.Equal(Collection + "?limit=5&Access_Token=[REDACTED]&password=[REDACTED]", uri);
        var text = await File.ReadAllTextAsync(AuditPath);
        Assert.Contains("access_token=[REDACTED]", text, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongToken, text);
        Assert.DoesNotContain(Token, text);
        Assert.DoesNotContain(WrongToken, server.Output);
    }

    private const string PolicyHead = "apiVersion: audit.k8s.io/v1\nkind: Policy\n";

    private const string ClusterResources = """
          resources:
          - group: clusterregistry.k8s.io
            resources: ["clusters"]
        """;

    [Fact]
    public async Task AuditPolicy_LevelsPerUserVerbAndResource_FirstMatchingRuleDecides()
    {
        var server = await StartWithPolicyAsync(PolicyHead + $"""
            rules:
            - level: None
              users: ["quiet"]
            - level: RequestResponse
              verbs: ["create"]
            {ClusterResources}
            - level: Request
              userGroups: ["auditors"]
              verbs: ["delete"]
              omitStages: ["RequestReceived"]
            - level: Metadata
            {ClusterResources}
            - level: None
              nonResourceURLs: ["/version", "/openapi/*"]
            - level: Metadata
            """);
        using var client = server.CreateClient(Token, null);
        using var quiet = server.CreateClient(QuietToken, null);
        var name = UniqueName("policy");

        using var quietCreate = await quiet.PostAsync(Collection, Json(ClusterJson(UniqueName("quiet"))));
        using var version = await client.GetAsync("/version");
        using var create = await client.PostAsync(Collection, Json(ClusterJson(name)));
        using var get = await client.GetAsync(Item(name));
        using var delete = await client.DeleteAsync(Item(name));
        using var discovery = await client.GetAsync("/apis");

        Assert.Equal(HttpStatusCode.Created, quietCreate.StatusCode);
        Assert.Equal(HttpStatusCode.OK, version.StatusCode);
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
        // Requests at level None are not audited at all: no ID, no event.
        Assert.False(quietCreate.Headers.Contains("Audit-Id"), "the quiet user's create was audited");
        Assert.False(version.Headers.Contains("Audit-Id"), "/version was audited");
        var events = await EventsForAsync(AuditId(create), AuditId(get), AuditId(delete), AuditId(discovery));

        // The user rule comes first, so the quiet user (also an auditor) is never recorded.
        Assert.DoesNotContain(ReadEvents(), e => S(e["user"], "username") == "quiet" || S(e, "requestURI") == "/version");
        var (_, createComplete) = Stages(events[AuditId(create)], 201);
        AssertEvent(createComplete, "RequestResponse", "create", name, Collection);
        Assert.Equal(name, S(createComplete["requestObject"]?["metadata"], "name"));
        Assert.Equal(name, S(createComplete["responseObject"]?["metadata"], "name"));
        var (_, getComplete) = Stages(events[AuditId(get)], 200);
        AssertEvent(getComplete, "Metadata", "get", name, Item(name));
        Assert.Null(getComplete["responseObject"]);
        // The delete rule omits RequestReceived: one event.
        var deleteComplete = Assert.Single(events[AuditId(delete)]);
        Assert.Equal("ResponseComplete", S(deleteComplete, "stage"));
        AssertEvent(deleteComplete, "Request", "delete", name, Item(name));
        var (_, discoveryComplete) = Stages(events[AuditId(discovery)], 200);
        Assert.Equal("Metadata", S(discoveryComplete, "level"));
        Assert.Null(discoveryComplete["objectRef"]);
    }

    [Fact]
    public async Task AuditPolicy_PolicyOmitStagesAndResourceNames_UnmatchedRequestsAreNotAudited()
    {
        var name = UniqueName("named");
        var server = await StartWithPolicyAsync(PolicyHead + $"""
            omitStages: ["RequestReceived"]
            rules:
            - level: Metadata
              verbs: ["get"]
              resources:
              - group: clusterregistry.k8s.io
                resources: ["clusters"]
                resourceNames: ["{name}"]
            """);
        using var client = server.CreateClient(Token, null);

        using var create = await client.PostAsync(Collection, Json(ClusterJson(name)));
        using var other = await client.GetAsync(Item(UniqueName("other")));
        using var list = await client.GetAsync(Collection);
        using var get = await client.GetAsync(Item(name));

        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        foreach (var unmatched in new[] { create, other, list })
        {
            var request = unmatched.RequestMessage;
            Assert.False(unmatched.Headers.Contains("Audit-Id"), $"{request?.Method} {request?.RequestUri} was audited");
        }
        var id = AuditId(get);
        var events = (await EventsForAsync(id))[id];
        var complete = Assert.Single(events);
        AssertEvent(complete, "Metadata", "get", name, Item(name));
        Assert.Equal("ResponseComplete", S(complete, "stage"));
        Assert.Equal(new[] { id }, ReadEvents().Select(e => S(e, "auditID") ?? "").Distinct().ToArray());
    }

    [Fact]
    public async Task AuditPolicy_InvalidFile_RefusesToStartNamingTheField()
    {
        var file = Path.Combine(_dir, "bad-policy.yaml");
        await File.WriteAllTextAsync(file, PolicyHead + "rules:\n- level: Everything\n");

        var refused = await RefusedStart.RunAsync(Path.Combine(_dir, "refused"), "--audit-log-path", AuditPath, "--audit-policy-file", file);

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"error: --audit-policy-file {file}: rules[0].level: must be None, Metadata, Request or RequestResponse", refused.Output);
    }
}
