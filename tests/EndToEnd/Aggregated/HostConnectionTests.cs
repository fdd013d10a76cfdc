using System.Net;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Aggregated;

/// <summary>
/// How the aggregated registry reaches its host, against a real kube-apiserver 1.20: with no kubeconfig flags it
/// uses in-cluster credentials (KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount's token and CA files, read
/// from CLUSTERREGISTRY_SERVICE_ACCOUNT_DIR here since a test cannot write /var/run/secrets); and when the host's
/// SubjectAccessReview cannot be had (host unreachable, or it refuses the review) requests are denied, never allowed.
/// Requests go straight to the registry's port as the aggregator sends them (front-proxy certificate and headers).
/// </summary>
[Requires(Prerequisite.HostCluster)]
[Collection(AggregatedCollection.Name)]
public sealed class HostConnectionTests(AggregatedFixture fx)
{
    private const string ClustersPath = "/apis/clusterregistry.k8s.io/v1alpha1/clusters";
    private const string Viewer = "host-connection-viewer";

    private static HttpRequestMessage As(string user, string group = "system:authenticated", HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, ClustersPath);
        request.Headers.Add("X-Remote-User", user);
        request.Headers.Add("X-Remote-Group", group);
        if (method == HttpMethod.Post)
            request.Content = new StringContent(KubectlSuite.ClusterManifests.Cluster(KubectlSuite.ClusterManifests.UniqueName("hc")), System.Text.Encoding.UTF8, "application/yaml");
        return request;
    }

    /// <summary>A user the host's RBAC lets get and list clusters, and nothing else.</summary>
    private Task GrantViewerAsync() => fx.ApplyAsync($$"""
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: {{Viewer}}}
        rules: [{apiGroups: [clusterregistry.k8s.io], resources: [clusters], verbs: [get, list]}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: {{Viewer}}}
        subjects: [{kind: User, name: {{Viewer}}, apiGroup: rbac.authorization.k8s.io}]
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {{Viewer}}}
        """);

    private Task<ServerProcess> StartRegistryAsync(string name, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var serving = fx.ServingCa.IssueServer("clusterregistry", ["localhost"], [IPAddress.Loopback]).WriteTo(fx.Host.Dir, name + "-serving");
        return ServerProcess.StartCommandAsync("aggregated", null, null, false, environment,
            ["--tls-cert-file", serving.Cert, "--tls-private-key-file", serving.Key, .. args]);
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Without_kubeconfig_flags_the_registry_uses_in_cluster_credentials()
    {
        await GrantViewerAsync();
        // What the kubelet mounts into the pod of crinit's Deployment: the ServiceAccount's token and the cluster CA.
        var account = Directory.CreateDirectory(Path.Combine(fx.Host.Dir, "in-cluster-serviceaccount")).FullName;
        await File.WriteAllTextAsync(Path.Combine(account, "token"), await fx.Host.CreateServiceAccountTokenAsync(AggregatedFixture.Namespace, AggregatedFixture.ServiceAccount));
        await File.WriteAllTextAsync(Path.Combine(account, "ca.crt"), fx.Host.CaPem);
        await File.WriteAllTextAsync(Path.Combine(account, "namespace"), AggregatedFixture.Namespace);
        await using var server = await StartRegistryAsync("in-cluster", new Dictionary<string, string>
        {
            ["KUBERNETES_SERVICE_HOST"] = "127.0.0.1",
            ["KUBERNETES_SERVICE_PORT"] = fx.Host.Port.ToString(),
            ["CLUSTERREGISTRY_SERVICE_ACCOUNT_DIR"] = account,
        });

        // The front-proxy CA came from the host's ConfigMap, and the host's SubjectAccessReview answers for the viewer.
        using var proxy = fx.CreateDirectClient(fx.Host.FrontProxyClient, server: server);
        var listed = await SendAsync(proxy, As(Viewer));
        Assert.True(listed.Status == HttpStatusCode.OK, $"{listed}\n{server.Output}");
        var created = await SendAsync(proxy, As(Viewer, method: HttpMethod.Post));
        Assert.True(created.Status == HttpStatusCode.Forbidden, created.ToString());
        Assert.Contains($"User \\\"{Viewer}\\\" cannot create resource \\\"clusters\\\"", created.Body);

        // Bearer tokens go to the host's TokenReview: a real one is that ServiceAccount (authenticated, not allowed
        // to list), a made-up one is no one.
        var token = await fx.Host.CreateServiceAccountTokenAsync(AggregatedFixture.Namespace, "default");
        using var withToken = fx.CreateDirectClient(token: token, server: server);
        var reviewed = await SendAsync(withToken, new HttpRequestMessage(HttpMethod.Get, ClustersPath));
        Assert.True(reviewed.Status == HttpStatusCode.Forbidden, reviewed.ToString());
        Assert.Contains($"system:serviceaccount:{AggregatedFixture.Namespace}:default", reviewed.Body);
        using var madeUp = fx.CreateDirectClient(token: "not-a-token", server: server);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(madeUp, new HttpRequestMessage(HttpMethod.Get, ClustersPath))).Status);
    }

    [Fact]
    public async Task Without_kubeconfig_flags_or_a_pod_environment_the_registry_names_both_ways()
    {
        var empty = Directory.CreateDirectory(Path.Combine(fx.Host.Dir, "no-serviceaccount")).FullName;
        var refused = await RefusedStart.RunCommandAsync(new Dictionary<string, string> { ["CLUSTERREGISTRY_SERVICE_ACCOUNT_DIR"] = empty },
            "aggregated", "--data-dir", Path.Combine(fx.Host.Dir, "no-serviceaccount-data"), "--secure-port", ServerProcess.FreePort().ToString());
        var line = refused.AssertOneLine("--authentication-kubeconfig");
        Assert.Contains(Path.Combine(empty, "token"), line);
    }

    [Fact]
    public async Task When_the_hosts_authorizer_cannot_answer_requests_are_denied_never_allowed()
    {
        await GrantViewerAsync();
        var authentication = fx.Host.WriteKubeconfig("host-connection-authn",
            await fx.Host.CreateServiceAccountTokenAsync(AggregatedFixture.Namespace, AggregatedFixture.ServiceAccount));

        // 1. The host is unreachable for authorization: a loopback port nothing listens on.
        var unreachable = Path.Combine(fx.Host.Dir, "host-connection-unreachable.kubeconfig");
        await File.WriteAllTextAsync(unreachable, (await File.ReadAllTextAsync(authentication)).Replace(fx.Host.Url, $"https://127.0.0.1:{ServerProcess.FreePort()}", StringComparison.Ordinal));
        // 2. The host answers, but refuses the review: a ServiceAccount without system:auth-delegator.
        await fx.ApplyAsync($"apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: no-delegation, namespace: {AggregatedFixture.Namespace}}}\n");
        var refusing = fx.Host.WriteKubeconfig("host-connection-refusing", await fx.Host.CreateServiceAccountTokenAsync(AggregatedFixture.Namespace, "no-delegation"));

        foreach (var (name, authorization) in new[] { ("unreachable", unreachable), ("refusing", refusing) })
        {
            await using var server = await StartRegistryAsync("authz-" + name, new Dictionary<string, string>(),
                "--authentication-kubeconfig", authentication, "--authorization-kubeconfig", authorization);
            using var proxy = fx.CreateDirectClient(fx.Host.FrontProxyClient, server: server);

            // The same viewer the working host allows to list (see the in-cluster test) is refused here.
            var listed = await SendAsync(proxy, As(Viewer));
            Assert.True(listed.Status == HttpStatusCode.Forbidden, $"{name}: {listed}\n{server.Output}");
            Assert.Contains("\"kind\":\"Status\"", listed.Body);
            Assert.DoesNotContain("\"items\"", listed.Body);
            // Asked again (a failure is not cached as an allow).
            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(proxy, As(Viewer))).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(proxy, As(Viewer, method: HttpMethod.Post))).Status);
            // What needs no host: system:masters, and the health paths.
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(proxy, As("someone", "system:masters"))).Status);
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(proxy, new HttpRequestMessage(HttpMethod.Get, "/readyz"))).Status);
        }
    }
}
