using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using ClusterRegistry.Tests.EndToEnd.KubectlSuite;

namespace ClusterRegistry.Tests.EndToEnd.Aggregated;

/// <summary>
/// The registry asks the host's RBAC (SubjectAccessReview) about every request: a user the host lets get and list
/// clusters can list them and is refused create; a user the host grants nothing is refused list. Through the host
/// the host's own filter also authorizes, so the registry's part is shown with requests sent as the aggregator
/// sends them (front-proxy certificate and headers) straight to the registry's port.
/// </summary>
[Requires(Prerequisite.HostCluster)]
[Collection(AggregatedCollection.Name)]
public sealed class DelegatedAuthorizationTests(AggregatedFixture fx)
{
    private async Task<Kubectl> ViewerAsync(string user)
    {
        await fx.ApplyAsync($$"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: cluster-viewer}
            rules: [{apiGroups: [clusterregistry.k8s.io], resources: [clusters], verbs: [get, list]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: cluster-viewer-{{user}}}
            subjects: [{kind: User, name: {{user}}, apiGroup: rbac.authorization.k8s.io}]
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-viewer}
            """);
        return fx.Host.KubectlFor(fx.Host.WriteKubeconfig(user, fx.Host.IssueClientCertificate(user)));
    }

    [Fact]
    public async Task A_user_allowed_get_and_list_by_host_RBAC_can_list_and_is_refused_create()
    {
        var viewer = await ViewerAsync("alice");
        var listed = await viewer.RunAsync("get clusters.clusterregistry.k8s.io");
        Assert.True(listed.ExitCode == 0, listed.ToString());

        var name = ClusterManifests.UniqueName("denied");
        var created = await viewer.RunAsync("create -f -", ClusterManifests.Cluster(name));
        Assert.NotEqual(0, created.ExitCode);
        Assert.Contains("forbidden", created.Stderr);
        Assert.Contains("User \"alice\" cannot create resource \"clusters\"", created.Stderr);
        var absent = await fx.Host.Kubectl.RunAsync($"get clusters.clusterregistry.k8s.io {name}");
        Assert.Contains("NotFound", absent.Stderr);

        // What the registry itself decides: the host's SubjectAccessReview answer for alice.
        using var proxy = fx.CreateDirectClient(fx.Host.FrontProxyClient);
        var directList = new HttpRequestMessage(HttpMethod.Get, "/apis/clusterregistry.k8s.io/v1alpha1/clusters");
        directList.Headers.Add("X-Remote-User", "alice");
        directList.Headers.Add("X-Remote-Group", "system:authenticated");
        var listResponse = await proxy.SendAsync(directList);
        Assert.True(listResponse.StatusCode == System.Net.HttpStatusCode.OK, await listResponse.Content.ReadAsStringAsync());
        var directCreate = new HttpRequestMessage(HttpMethod.Post, "/apis/clusterregistry.k8s.io/v1alpha1/clusters")
        {
            Content = new StringContent(ClusterManifests.Cluster(name), System.Text.Encoding.UTF8, "application/yaml"),
        };
        directCreate.Headers.Add("X-Remote-User", "alice");
        directCreate.Headers.Add("X-Remote-Group", "system:authenticated");
        var createResponse = await proxy.SendAsync(directCreate);
        var createBody = await createResponse.Content.ReadAsStringAsync();
        Assert.True(createResponse.StatusCode == System.Net.HttpStatusCode.Forbidden, createBody);
        Assert.Contains("User \\\"alice\\\" cannot create resource \\\"clusters\\\"", createBody);

        var stranger = fx.Host.KubectlFor(fx.Host.WriteKubeconfig("mallory", fx.Host.IssueClientCertificate("mallory")));
        var refused = await stranger.RunAsync("get clusters.clusterregistry.k8s.io");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("User \"mallory\" cannot list resource \"clusters\"", refused.Stderr);
    }

    [Fact]
    public async Task Kubectl_auth_can_i_answers_from_the_host()
    {
        await ViewerAsync("bob");
        var canList = await fx.Host.Kubectl.RunAsync("auth can-i list clusters.clusterregistry.k8s.io --as bob");
        Assert.Equal("yes", canList.Stdout.Trim());
        var canCreate = await fx.Host.Kubectl.RunAsync("auth can-i create clusters.clusterregistry.k8s.io --as bob");
        Assert.Equal("no", canCreate.Stdout.Trim());
        // Impersonation through the host reaches the registry as bob: the same answers in practice.
        var listed = await fx.Host.Kubectl.RunAsync("get clusters.clusterregistry.k8s.io --as bob");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        var created = await fx.Host.Kubectl.RunAsync("create --as bob -f -", ClusterManifests.Cluster(ClusterManifests.UniqueName("bob")));
        Assert.Contains("User \"bob\" cannot create resource \"clusters\"", created.Stderr);
    }
}
