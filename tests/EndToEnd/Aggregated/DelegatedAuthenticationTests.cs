using System.Net;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using ClusterRegistry.Tests.EndToEnd.KubectlSuite;

namespace ClusterRegistry.Tests.EndToEnd.Aggregated;

/// <summary>
/// Who the registry believes, reached directly on its port: the front proxy's headers count only from a client
/// certificate signed by the host's front-proxy CA with an allowed name; certificates from the host's client CA
/// authenticate as themselves; bearer tokens are checked by the host's TokenReview; nothing else gets in.
/// </summary>
[Requires(Prerequisite.HostCluster)]
[Collection(AggregatedCollection.Name)]
public sealed class DelegatedAuthenticationTests(AggregatedFixture fx)
{
    private const string ClustersPath = "/apis/clusterregistry.k8s.io/v1alpha1/clusters";

    private static HttpRequestMessage Forged(string user = "admin", string group = "system:masters")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, ClustersPath);
        request.Headers.Add("X-Remote-User", user);
        request.Headers.Add("X-Remote-Group", group);
        return request;
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {body}");
        Assert.Contains("\"kind\":\"Status\"", body);
        Assert.DoesNotContain("\"items\"", body);
    }

    [Fact]
    public async Task Forged_front_proxy_headers_without_the_front_proxy_certificate_get_nothing()
    {
        using var anonymous = fx.CreateDirectClient();
        await AssertRefusedAsync(await anonymous.SendAsync(Forged()), HttpStatusCode.Unauthorized);

        // A certificate with the right name from the wrong CA (the host's client CA): it is that user, no one else.
        using var wrongCa = fx.CreateDirectClient(fx.Host.IssueClientCertificate(HostCluster.FrontProxyClientName));
        var response = await wrongCa.SendAsync(Forged());
        await AssertRefusedAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains($"User \\\"{HostCluster.FrontProxyClientName}\\\"", await response.Content.ReadAsStringAsync());

        // The right CA but a name --requestheader-allowed-names does not list.
        using var wrongName = fx.CreateDirectClient(fx.Host.IssueFrontProxyCertificate("not-the-front-proxy"));
        await AssertRefusedAsync(await wrongName.SendAsync(Forged()), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_front_proxy_certificate_makes_the_headers_the_user()
    {
        using var proxy = fx.CreateDirectClient(fx.Host.FrontProxyClient);
        var asMaster = await proxy.SendAsync(Forged("someone", "system:masters"));
        Assert.True(asMaster.StatusCode == HttpStatusCode.OK, await asMaster.Content.ReadAsStringAsync());

        var asNobody = await proxy.SendAsync(Forged("nobody-special", "no-such-group"));
        await AssertRefusedAsync(asNobody, HttpStatusCode.Forbidden);
        Assert.Contains("User \\\"nobody-special\\\"", await asNobody.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Bearer_tokens_are_checked_by_the_host_TokenReview()
    {
        const string reader = "cluster-reader";
        await fx.ApplyAsync($$"""
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: {{reader}}, namespace: {{AggregatedFixture.Namespace}}}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: cluster-lister}
            rules: [{apiGroups: [clusterregistry.k8s.io], resources: [clusters], verbs: [list]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: cluster-lister-sa}
            subjects: [{kind: ServiceAccount, name: {{reader}}, namespace: {{AggregatedFixture.Namespace}}}]
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-lister}
            """);
        var token = await fx.Host.CreateServiceAccountTokenAsync(AggregatedFixture.Namespace, reader);
        using var withToken = fx.CreateDirectClient(token: token);
        var listed = await withToken.GetAsync(ClustersPath);
        Assert.True(listed.StatusCode == HttpStatusCode.OK, await listed.Content.ReadAsStringAsync());
        Assert.Contains("\"ClusterList\"", await listed.Content.ReadAsStringAsync());
        // The token's user is what the host's RBAC is asked about: list only.
        var created = await withToken.PostAsync(ClustersPath,
            new StringContent(ClusterManifests.Cluster(ClusterManifests.UniqueName("sa")), System.Text.Encoding.UTF8, "application/yaml"));
        await AssertRefusedAsync(created, HttpStatusCode.Forbidden);
        Assert.Contains($"system:serviceaccount:{AggregatedFixture.Namespace}:{reader}", await created.Content.ReadAsStringAsync());

        using var forgedToken = fx.CreateDirectClient(token: token[..^4] + "AAAA");
        await AssertRefusedAsync(await forgedToken.GetAsync(ClustersPath), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Without_the_reader_RoleBinding_the_registry_refuses_to_start_and_names_the_fix()
    {
        const string account = "no-reader";
        var kubeconfig = await DelegatorOnlyAccountAsync(account);
        var dataDir = Path.Combine(fx.Host.Dir, "no-reader-data");
        var refused = await RefusedStart.RunCommandAsync("aggregated", "--data-dir", dataDir, "--secure-port", ServerProcess.FreePort().ToString(),
            "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig);
        var line = refused.AssertOneLine("extension-apiserver-authentication-reader");
        Assert.Contains("403", line);
    }

    [Fact]
    public async Task The_host_configuration_is_read_again_so_a_late_RoleBinding_takes_effect_without_a_restart()
    {
        const string account = "late-reader";
        var kubeconfig = await DelegatorOnlyAccountAsync(account);
        var serving = fx.ServingCa.IssueServer("clusterregistry", ["localhost"], [IPAddress.Loopback]).WriteTo(fx.Host.Dir, "late-reader-serving");
        await using var server = await ServerProcess.StartCommandAsync("aggregated", null, null, false,
            "--tls-cert-file", serving.Cert, "--tls-private-key-file", serving.Key, "--authentication-tolerate-lookup-failure",
            "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig);
        using var proxy = fx.CreateDirectClient(fx.Host.FrontProxyClient, server: server);

        // Started without the host's configuration: the front proxy is not known yet.
        await AssertRefusedAsync(await proxy.SendAsync(Forged("someone", "system:masters")), HttpStatusCode.Unauthorized);

        await fx.ApplyAsync($$"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: late-reader-authentication-reader, namespace: kube-system}
            subjects: [{kind: ServiceAccount, name: {{account}}, namespace: {{AggregatedFixture.Namespace}}}]
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader}
            """);
        var deadline = DateTime.UtcNow.AddSeconds(45);
        HttpStatusCode status;
        do
        {
            await Task.Delay(1000);
            status = (await proxy.SendAsync(Forged("someone", "system:masters"))).StatusCode;
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);
        Assert.True(status == HttpStatusCode.OK, $"still {(int)status} after the RoleBinding\n{server.Output}");
    }

    /// <summary>
    /// A ServiceAccount bound to system:auth-delegator but not (yet) to the authentication reader Role, and a
    /// kubeconfig for it.
    /// </summary>
    private async Task<string> DelegatorOnlyAccountAsync(string account)
    {
        await fx.ApplyAsync($$"""
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: {{account}}, namespace: {{AggregatedFixture.Namespace}}}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: {{account}}-auth-delegator}
            subjects: [{kind: ServiceAccount, name: {{account}}, namespace: {{AggregatedFixture.Namespace}}}]
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:auth-delegator"}
            """);
        return fx.Host.WriteKubeconfig(account, await fx.Host.CreateServiceAccountTokenAsync(AggregatedFixture.Namespace, account));
    }
}
