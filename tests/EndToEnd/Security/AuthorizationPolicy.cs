using System.Text.Json.Nodes;

namespace ClusterRegistry.Tests.EndToEnd.Security;

/// <summary>
/// The SubjectAccessReview policy the in-test webhook applies, like an RBAC setup would: every authenticated user
/// may GET non-resource paths (discovery, version) and create self reviews (as kube's system:discovery and
/// system:basic-user roles grant); "viewer" may get/list/watch clusters and nothing else; "editor" may do anything
/// with clusters. Special users make the webhook misbehave: "flaky" gets HTTP 500, "garbage" a body that is not
/// JSON, "conflicted" both allowed and denied.
/// </summary>
public static class AuthorizationPolicy
{
    public const string DenyReason = "viewer may only get, list and watch clusters";

    /// <summary>The token file: token,user,uid,"groups".</summary>
    public static string TokenFile => string.Join("\n",
        "viewer-token-00000000000000000001,viewer,viewer-uid,\"readers\"",
        "editor-token-00000000000000000002,editor,editor-uid,\"writers\"",
        "denied-token-00000000000000000003,denied-user,denied-uid,",
        "flaky-token-000000000000000000004,flaky,flaky-uid,",
        "garbage-token-0000000000000000005,garbage,garbage-uid,",
        "conflicted-token-00000000000000006,conflicted,conflicted-uid,",
        "master-token-00000000000000000007,master,master-uid,\"system:masters\"") + "\n";

    public const string Viewer = "viewer-token-00000000000000000001";
    public const string Editor = "editor-token-00000000000000000002";
    public const string Denied = "denied-token-00000000000000000003";
    public const string Flaky = "flaky-token-000000000000000000004";
    public const string Garbage = "garbage-token-0000000000000000005";
    public const string Conflicted = "conflicted-token-00000000000000006";
    public const string Master = "master-token-00000000000000000007";

    public static (int Status, JsonObject? Body) Decide(JsonObject review)
    {
        var spec = review["spec"] as JsonObject;
        var user = spec?["user"]?.GetValue<string>() ?? "";
        var groups = SecurityAssert.Strings(spec?["groups"] ?? spec?["group"]);
        if (user == "flaky") return (500, new JsonObject { ["error"] = "boom" });
        if (user == "garbage") return (200, null);
        if (user == "conflicted") return Answer(review, true, true, "");

        if (spec?["nonResourceAttributes"] is JsonObject nonResource)
        {
            var ok = nonResource["verb"]?.GetValue<string>() == "get" && groups.Contains("system:authenticated");
            return Answer(review, ok, false, ok ? "" : "no non-resource access");
        }
        var ra = spec?["resourceAttributes"] as JsonObject;
        string S(string key) => ra?[key]?.GetValue<string>() ?? "";
        if ((S("group"), S("resource"), S("verb")) is ("authorization.k8s.io", "selfsubjectaccessreviews", "create")
            or ("authentication.k8s.io", "selfsubjectreviews", "create"))
            return Answer(review, groups.Contains("system:authenticated"), false, "");
        if (S("group") == "clusterregistry.k8s.io" && S("resource") == "clusters")
        {
            if (user == "editor") return Answer(review, true, false, "");
            if (user == "viewer" && S("verb") is "get" or "list" or "watch" && S("subresource").Length == 0)
                return Answer(review, true, false, "");
            return Answer(review, false, false, DenyReason);
        }
        return Answer(review, false, false, "");
    }

    private static (int, JsonObject?) Answer(JsonObject review, bool allowed, bool denied, string reason)
    {
        var status = new JsonObject { ["allowed"] = allowed };
        if (denied) status["denied"] = true;
        if (reason.Length > 0) status["reason"] = reason;
        return (200, new JsonObject
        {
            ["apiVersion"] = review["apiVersion"]?.GetValue<string>() ?? "authorization.k8s.io/v1",
            ["kind"] = "SubjectAccessReview",
            ["status"] = status,
        });
    }

    /// <summary>kube-apiserver's Forbidden message for a resource request on clusters.</summary>
    public static string Forbidden(string user, string verb, string? name = null, string? subresource = null, string reason = DenyReason) =>
        "clusters.clusterregistry.k8s.io" + (name is null ? "" : $" \"{name}\"") +
        $" is forbidden: User \"{user}\" cannot {verb} resource \"clusters{(subresource is null ? "" : "/" + subresource)}\" in API group \"clusterregistry.k8s.io\" at the cluster scope" +
        (reason.Length > 0 ? ": " + reason : "");
}
