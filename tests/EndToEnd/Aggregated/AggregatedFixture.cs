using System.Net;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Aggregated;

/// <summary>
/// A host cluster with the registry registered in its aggregation layer, set up as crinit does: namespace, the
/// ServiceAccount with the <c>system:auth-delegator</c> ClusterRoleBinding and the
/// <c>extension-apiserver-authentication-reader</c> RoleBinding in kube-system, and an APIService with the
/// registry's CA. No kubelet runs here, so the registry is a process on loopback reached through an ExternalName
/// Service naming 127.0.0.1 (the original's examples/samplecontainer recipe), started with
/// <c>clusterregistry aggregated</c> and the ServiceAccount's token as its host credentials.
/// </summary>
public sealed class AggregatedFixture : IAsyncLifetime
{
    public const string Namespace = "clusterregistry";
    public const string ServiceAccount = "clusterregistry-k8s-io-apiserver";
    public const string Service = "clusterregistry";
    public const string ApiService = "v1alpha1.clusterregistry.k8s.io";

    public HostCluster Host { get; } = new();
    public ServerProcess Server { get; private set; } = null!;

    /// <summary>The CA of the registry's serving certificate (the APIService's caBundle).</summary>
    public TestPki ServingCa { get; } = TestPki.CreateCa("clusterregistry-ca");

    public async Task InitializeAsync()
    {
        if (Prerequisites.Missing(Prerequisite.HostCluster) is not null) return;
        try
        {
            await StartAsync();
        }
        catch
        {
            // xunit does not dispose a fixture whose start failed: the registry, kube-apiserver and etcd stop here.
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        await Host.InitializeAsync();
        await ApplyAsync($"""
            apiVersion: v1
            kind: Namespace
            metadata: {Braces($"name: {Namespace}")}
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {Braces($"name: {ServiceAccount}, namespace: {Namespace}")}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {Braces("name: \"clusterregistry.k8s.io:apiserver-auth-delegator\"")}
            subjects: [{Braces($"kind: ServiceAccount, name: {ServiceAccount}, namespace: {Namespace}")}]
            roleRef: {Braces("apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: \"system:auth-delegator\"")}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {Braces("name: \"clusterregistry.k8s.io:extension-apiserver-authentication-reader\", namespace: kube-system")}
            subjects: [{Braces($"kind: ServiceAccount, name: {ServiceAccount}, namespace: {Namespace}")}]
            roleRef: {Braces("apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader")}
            """);
        var hostKubeconfig = Host.WriteKubeconfig("clusterregistry-sa", await Host.CreateServiceAccountTokenAsync(Namespace, ServiceAccount));

        var serving = ServingCa.IssueServer("clusterregistry", [$"{Service}.{Namespace}.svc", "localhost"], [IPAddress.Loopback])
            .WriteTo(Host.Dir, "clusterregistry-serving");
        Server = await ServerProcess.StartCommandAsync("aggregated", null, null, false,
            "--tls-cert-file", serving.Cert, "--tls-private-key-file", serving.Key,
            "--authentication-kubeconfig", hostKubeconfig, "--authorization-kubeconfig", hostKubeconfig);

        await ApplyAsync($"""
            apiVersion: v1
            kind: Service
            metadata: {Braces($"name: {Service}, namespace: {Namespace}")}
            spec: {Braces($"type: ExternalName, externalName: 127.0.0.1, ports: [{Braces($"name: https, port: {Server.Port}")}]")}
            ---
            apiVersion: apiregistration.k8s.io/v1
            kind: APIService
            metadata: {Braces($"name: {ApiService}")}
            spec:
              group: clusterregistry.k8s.io
              version: v1alpha1
              groupPriorityMinimum: 10000
              versionPriority: 20
              caBundle: {Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(ServingCa.CaPem))}
              service: {Braces($"namespace: {Namespace}, name: {Service}, port: {Server.Port}")}
            """);
        await WaitAsync("the APIService to be Available", async () =>
        {
            var r = await Host.Kubectl.RunAsync($"get apiservice {ApiService} -o 'jsonpath={{.status.conditions[?(@.type==\"Available\")].status}}'");
            return r.Stdout.Trim() == "True";
        });
        // The aggregator wires its proxy a moment after Available; until then it answers 404.
        await WaitAsync("the aggregator to proxy clusters", async () =>
            (await Host.Kubectl.RunAsync("get clusters.clusterregistry.k8s.io")).ExitCode == 0);
    }

    /// <summary>
    /// An HttpClient straight to the registry's port (not through the host), trusting its serving CA, presenting
    /// <paramref name="clientCertificate"/> and <paramref name="token"/> when given.
    /// </summary>
    public HttpClient CreateDirectClient(IssuedCertificate? clientCertificate = null, string? token = null, ServerProcess? server = null)
    {
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HostCluster.TrustOnly(ServingCa.Ca.Certificate) };
        if (clientCertificate is not null)
        {
            handler.ClientCertificateOptions = ClientCertificateOption.Manual;
            handler.ClientCertificates.Add(clientCertificate.Certificate);
        }
        var client = new HttpClient(handler) { BaseAddress = new Uri((server ?? Server).Url), Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }

    private static string Braces(string inner) => "{" + inner + "}";

    public async Task ApplyAsync(string yaml)
    {
        var r = await Host.Kubectl.RunAsync("apply -f -", yaml);
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    private async Task WaitAsync(string what, Func<Task<bool>> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (await done()) return;
            await Task.Delay(500);
        }
        var apiService = await Host.Kubectl.RunAsync($"get apiservice {ApiService} -o yaml");
        throw new TimeoutException($"timed out waiting for {what}\n{apiService.Stdout}\n--- registry:\n{Server.Output}\n{Host.Logs(20)}");
    }

    public async Task DisposeAsync()
    {
        // The APIService first: an unavailable aggregated API would stall namespace deletion in a longer-lived host.
        try
        {
            if (Server is not null) await Host.Kubectl.RunAsync($"delete apiservice {ApiService} --ignore-not-found");
        }
        finally
        {
            try
            {
                if (Server is not null) await Server.DisposeAsync();
            }
            finally
            {
                await Host.DisposeAsync();
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AggregatedCollection : ICollectionFixture<AggregatedFixture>
{
    public const string Name = "aggregated";
}
