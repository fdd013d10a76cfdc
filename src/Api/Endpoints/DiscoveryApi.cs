using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ClusterRegistry.Api.Http;
using ClusterRegistry.Domain.Clusters;

namespace ClusterRegistry.Api.Endpoints;

/// <summary>
/// Discovery: legacy APIGroupList/APIGroup/APIResourceList, and aggregated discovery v2 (v2beta1) when the Accept
/// entry asks for it, with the GVK parameters in Content-Type because client-go decides the format from that header.
/// <c>/api</c> answers 404 (no core group), which client-go tolerates.
/// </summary>
public static class DiscoveryApi
{
    private static readonly string[] CreateOnly = ["create"];

    private static readonly string[] Verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    private static readonly string[] StatusVerbs = ["get", "patch", "update"];
    // get for clusters/{name}/kubeconfig, list for the merged clusters/-/kubeconfig (ADR-009). The response is a
    // client-go v1 Config, not an API kind; RESTMappers skip subresources, so naming it misleads no client.
    private static readonly string[] KubeconfigVerbs = ["get", "list"];
    private static readonly object KubeconfigKind = new { group = "", version = "v1", kind = "Config" };
    private static readonly string[] ShortNames = ["clu"];

    public static IEndpointRouteBuilder MapDiscovery(this IEndpointRouteBuilder app)
    {
        var r = ClusterResource.Info;
        var groupVersion = new { groupVersion = r.ApiVersion, version = r.Version };
        var group = new { name = r.Group, versions = new[] { groupVersion }, preferredVersion = groupVersion };

        app.MapGet("/apis", (HttpContext http) =>
        {
            var aggregated = AggregatedVersion(http.Request);
            if (aggregated is not null) return WriteAggregated(http, aggregated);
            return WriteJson(http, new { kind = "APIGroupList", apiVersion = "v1", groups = new object[] { group }.Concat(Introspection.Select(i => i.Group)) });
        });
        foreach (var i in Introspection)
        {
            app.MapGet("/apis/" + i.Name, (HttpContext http) => WriteJson(http, new
            {
                kind = "APIGroup",
                apiVersion = "v1",
                name = i.Name,
                versions = new[] { i.Version },
                preferredVersion = i.Version,
            }));
            app.MapGet("/apis/" + i.Name + "/v1", (HttpContext http) => WriteJson(http, new
            {
                kind = "APIResourceList",
                apiVersion = "v1",
                groupVersion = i.Name + "/v1",
                resources = new[] { new { name = i.Resource, singularName = i.Resource.TrimEnd('s'), namespaced = false, kind = i.Kind, verbs = CreateOnly } },
            }));
        }
        app.MapGet("/apis/" + r.Group, (HttpContext http) =>
            WriteJson(http, new { kind = "APIGroup", apiVersion = "v1", name = r.Group, versions = new[] { groupVersion }, preferredVersion = groupVersion }));
        app.MapGet("/apis/" + r.ApiVersion, (HttpContext http) => WriteJson(http, new
        {
            kind = "APIResourceList",
            apiVersion = "v1",
            groupVersion = r.ApiVersion,
            resources = new object[]
            {
                new { name = r.Resource, singularName = r.Singular, namespaced = false, kind = r.Kind, verbs = Verbs, shortNames = ShortNames, storageVersionHash = StorageVersionHash() },
                new { name = r.Resource + "/status", singularName = "", namespaced = false, kind = r.Kind, verbs = StatusVerbs },
                new { name = r.Resource + "/kubeconfig", singularName = "", namespaced = false, kind = "Config", verbs = KubeconfigVerbs },
            },
        }));
        // No core group: a 404 tells client-go to rely on /apis. /api/v1 is empty for clients that probe it anyway.
        app.MapGet("/api", (HttpContext http) =>
        {
            var aggregated = AggregatedVersion(http.Request);
            if (aggregated is not null)
                return WriteAggregated(http, aggregated, empty: true);
            http.Response.StatusCode = 404;
            http.Response.ContentType = "text/plain; charset=utf-8";
            return http.Response.WriteAsync("404 page not found\n");
        });
        app.MapGet("/api/v1", (HttpContext http) =>
            WriteJson(http, new { kind = "APIResourceList", groupVersion = "v1", resources = Array.Empty<object>() }));
        return app;
    }

    private sealed record IntrospectionGroup(string Name, string Resource, string Kind)
    {
        public object Version => new { groupVersion = Name + "/v1", version = "v1" };
        public object Group => new { name = Name, versions = new[] { Version }, preferredVersion = Version };
    }

    private static readonly IntrospectionGroup[] Introspection =
    [
        new(IntrospectionApi.AuthenticationGroup, "selfsubjectreviews", "SelfSubjectReview"),
        new(IntrospectionApi.AuthorizationGroup, "selfsubjectaccessreviews", "SelfSubjectAccessReview"),
    ];

    /// <summary>base64(sha256("group/version/Kind")[:8]), as kube-apiserver computes it.</summary>
    public static string StorageVersionHash()
    {
        var r = ClusterResource.Info;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{r.Group}/{r.Version}/{r.Kind}"));
        return Convert.ToBase64String(hash, 0, 8);
    }

    private static string? AggregatedVersion(HttpRequest request)
    {
        foreach (var range in AcceptHeader.Parse(request.Headers.Accept.ToString()))
        {
            if (range.IsJsonCompatible && range.As == "APIGroupDiscoveryList" && range.Param("g") == "apidiscovery.k8s.io"
                && range.Param("v") is "v2" or "v2beta1")
                return range.Param("v");
            // The first acceptable plain entry wins over later aggregated ones.
            if (range.IsJsonCompatible && range.As is null) return null;
        }
        return null;
    }

    private static Task WriteAggregated(HttpContext http, string version, bool empty = false)
    {
        var r = ClusterResource.Info;
        var gvk = new { group = r.Group, version = r.Version, kind = r.Kind };
        var introspection = Introspection.Select(i => (object)new
        {
            metadata = new { name = i.Name },
            versions = new[]
            {
                new
                {
                    version = "v1", freshness = "Current",
                    resources = new[]
                    {
                        new
                        {
                            resource = i.Resource, responseKind = new { group = i.Name, version = "v1", kind = i.Kind }, scope = "Cluster",
                            singularResource = i.Resource.TrimEnd('s'), verbs = CreateOnly,
                        },
                    },
                },
            },
        });
        var items = empty ? Array.Empty<object>() : new object[]
        {
            new
            {
                metadata = new { name = r.Group },
                versions = new[]
                {
                    new
                    {
                        version = r.Version,
                        freshness = "Current",
                        resources = new[]
                        {
                            new
                            {
                                resource = r.Resource, responseKind = gvk, scope = "Cluster", singularResource = r.Singular,
                                verbs = Verbs, shortNames = ShortNames,
                                subresources = new object[]
                                {
                                    new { subresource = "status", responseKind = gvk, verbs = StatusVerbs },
                                    new { subresource = "kubeconfig", responseKind = KubeconfigKind, verbs = KubeconfigVerbs },
                                },
                            },
                        },
                    },
                },
            },
        }.Concat(introspection).ToArray();
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            kind = "APIGroupDiscoveryList",
            apiVersion = "apidiscovery.k8s.io/" + version,
            metadata = new { },
            items,
        });
        var etag = "\"" + Convert.ToHexString(SHA256.HashData(body))[..32] + "\"";
        http.Response.Headers.ETag = etag;
        http.Response.Headers.Vary = "Accept";
        http.Response.Headers.CacheControl = "public";
        if (http.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            http.Response.StatusCode = 304;
            return Task.CompletedTask;
        }
        http.Response.ContentType = $"application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList";
        return http.Response.Body.WriteAsync(body).AsTask();
    }

    internal static Task WriteJson(HttpContext http, object value)
    {
        http.Response.ContentType = MediaTypes.Json;
        http.Response.Headers.CacheControl = "no-cache, private";
        return http.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(value)).AsTask();
    }
}
