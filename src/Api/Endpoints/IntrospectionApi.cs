using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Api.Http;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Endpoints;

/// <summary>
/// <c>selfsubjectaccessreviews</c> (<c>kubectl auth can-i</c>, answered by the configured authorizer for the caller)
/// and <c>selfsubjectreviews</c> (<c>kubectl auth whoami</c>).
/// </summary>
public static class IntrospectionApi
{
    public const string AuthorizationGroup = "authorization.k8s.io";
    public const string AuthenticationGroup = "authentication.k8s.io";

    public static IEndpointRouteBuilder MapIntrospection(this IEndpointRouteBuilder app)
    {
        app.MapPost($"/apis/{AuthorizationGroup}/v1/selfsubjectaccessreviews", SelfSubjectAccessReview);
        app.MapPost($"/apis/{AuthenticationGroup}/v1/selfsubjectreviews", (HttpContext http, IRequestContext context) => SelfSubjectReview(http, context, "v1"));
        app.MapPost($"/apis/{AuthenticationGroup}/v1beta1/selfsubjectreviews", (HttpContext http, IRequestContext context) => SelfSubjectReview(http, context, "v1beta1"));
        return app;
    }

    private static async Task SelfSubjectAccessReview(HttpContext http, IRequestContext context, IAuthorizer authorizer)
    {
        JsonObject review;
        if (KubeProtobuf.IsProtobuf(http.Request))
        {
            review = KubeProtobuf.ReadSelfSubjectAccessReview(await RequestBody.ReadBytesAsync(http));
        }
        else
        {
            var body = await RequestBody.ReadObjectAsync(http, detail => ApiErrors.BadRequest("SelfSubjectAccessReview cannot be decoded: " + detail));
            review = Application.Serialization.JsonNodes.FromElement(body) as JsonObject ?? throw ApiErrors.BadRequest("SelfSubjectAccessReview must be an object");
        }
        var spec = review["spec"] as JsonObject;
        var resource = spec?["resourceAttributes"] as JsonObject;
        var nonResource = spec?["nonResourceAttributes"] as JsonObject;
        if ((resource is null) == (nonResource is null))
            throw ApiErrors.InvalidOptions("SelfSubjectAccessReview",
                FieldError.Invalid("spec.resourceAttributes", "", "exactly one of nonResourceAttributes or resourceAttributes must be specified"));
        string S(JsonObject? o, string name) => o?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
        var attributes = resource is not null
            ? new AuthorizationAttributes(context.User, S(resource, "verb"), true, ApiGroup: S(resource, "group"), ApiVersion: S(resource, "version"),
                Resource: S(resource, "resource"), Subresource: S(resource, "subresource"), Name: S(resource, "name"))
            : new AuthorizationAttributes(context.User, S(nonResource, "verb"), false, Path: S(nonResource, "path"));
        var decision = await authorizer.DecideAsync(attributes, http.RequestAborted);
        review["apiVersion"] = "authorization.k8s.io/v1";
        review["kind"] = "SelfSubjectAccessReview";
        review["metadata"] = new JsonObject { ["creationTimestamp"] = null };
        var status = new JsonObject { ["allowed"] = decision.Allowed };
        if (!decision.Allowed) status["denied"] = true;
        if (decision.Reason.Length > 0) status["reason"] = decision.Reason;
        review["status"] = status;
        await Write(http, review);
    }

    private static Task SelfSubjectReview(HttpContext http, IRequestContext context, string version)
    {
        var user = context.User;
        var userInfo = new JsonObject { ["username"] = user.Name };
        if (user.Uid.Length > 0) userInfo["uid"] = user.Uid;
        userInfo["groups"] = new JsonArray(user.Groups.Select(g => (JsonNode)g).ToArray());
        if (user.Extra is { Count: > 0 } extra)
            userInfo["extra"] = new JsonObject(extra.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonArray(kv.Value.Select(v => (JsonNode)v).ToArray()))));
        return Write(http, new JsonObject
        {
            ["kind"] = "SelfSubjectReview",
            ["apiVersion"] = "authentication.k8s.io/" + version,
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["status"] = new JsonObject { ["userInfo"] = userInfo },
        });
    }

    private static Task Write(HttpContext http, JsonObject body)
    {
        http.Response.StatusCode = StatusCodes.Status201Created;
        http.Response.ContentType = MediaTypes.Json;
        http.Response.Headers.CacheControl = "no-cache, private";
        return http.Response.WriteAsync(body.ToJsonString(ApiJson.Options));
    }
}
