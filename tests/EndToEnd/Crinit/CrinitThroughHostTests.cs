using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using ClusterRegistry.Tests.EndToEnd.KubectlSuite;
using k8s;
using k8s.Models;

namespace ClusterRegistry.Tests.EndToEnd.Crinit;

/// <summary>
/// The whole aggregated install: <c>crinit aggregated init</c> against a real kube-apiserver 1.20, the registry
/// run with what crinit made (the Deployment's command line, the Secret's certificates, a token of crinit's
/// ServiceAccount as its in-cluster credentials), reached by the host's aggregator through crinit's APIService,
/// until crinit itself sees it Available and serving; then kubectl through the host, and delete.
/// </summary>
[Requires(Prerequisite.HostCluster)]
[Collection(CrinitHostCollection.Name)]
public sealed class CrinitThroughHostTests(HostCluster host) : CrinitHostTests(host)
{
    private static readonly TimeSpan Run = TimeSpan.FromMinutes(4);
    [Fact]
    public async Task TheRegistryCrinitInstalled_IsAvailableThroughTheHost_WithCrinitsCredentialsAndBindings()
    {
        const string name = "registry";
        const string ns = "crinit-through-host";
        var kubeconfig = UserKubeconfig();
        var before = await HostInventory.ListAsync(Host.Kubernetes);
        var address = LoopbackAddress();

        var init = CrinitCli.RunAsync(Run, "aggregated", "init", name, "--kubeconfig", kubeconfig, "--cluster-registry-namespace", ns, "--wait-timeout", "2m");
        var deployment = await HostActors.EventuallyAsync("the deployment", async () => await Host.Kubernetes.AppsV1.ReadNamespacedDeploymentAsync(name + "-apiserver", ns));
        var secret = await Host.Kubernetes.CoreV1.ReadNamespacedSecretAsync(name + "-apiserver-credentials", ns);
        // No kube-proxy here: the Service becomes an ExternalName for the registry's loopback address (the original's
        // samplecontainer recipe); crinit's APIService still names it, with port 443.
        var deleted = await Host.Kubectl.RunAsync($"-n {ns} delete service {name}");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        await Host.Kubernetes.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = "clusterregistry" } },
            Spec = new V1ServiceSpec { Type = "ExternalName", ExternalName = address, Ports = [new V1ServicePort { Name = "https", Port = 443 }] },
        }, ns);
        // What the pod's in-cluster credentials would be: a token of the ServiceAccount crinit made and bound.
        var serviceAccount = Host.WriteKubeconfig("crinit-registry-sa", await Host.CreateServiceAccountTokenAsync(ns, "clusterregistry-k8s-io-apiserver"));
        await using var registry = await RegistryProcess.StartAsync(deployment, secret, address, 443,
            "--authentication-kubeconfig", serviceAccount, "--authorization-kubeconfig", serviceAccount);
        await HostActors.MarkPodRunningAsync(Host.Kubernetes, ns);

        var first = await init;
        Assert.True(first.ExitCode == 0, $"crinit aggregated init\n{first}\n{registry.Output}");
        Assert.Contains("Waiting for the clusters API through the host's API server", first.Stdout);
        Assert.Contains("Cluster registry is served by the host cluster", first.Stdout);

        var kubectl = Host.KubectlFor(kubeconfig);
        var cluster = ClusterManifests.UniqueName("crinit-agg");
        var applied = await kubectl.RunAsync("apply -f -", ClusterManifests.Cluster(cluster));
        Assert.True(applied.ExitCode == 0, $"{applied}\n{registry.Output}");
        var listed = await kubectl.RunAsync("get clusters.clusterregistry.k8s.io -o name");
        Assert.Contains($"cluster.clusterregistry.k8s.io/{cluster}", listed.Stdout);

        var delete = await CrinitCli.OkAsync(Run, "aggregated", "delete", name, "--kubeconfig", kubeconfig, "--cluster-registry-namespace", ns);
        Assert.Contains("apiservice v1alpha1.clusterregistry.k8s.io deleted", delete.Stdout);
        Assert.Equal(before, await HostInventory.ListAsync(Host.Kubernetes));
        Assert.NotEqual(0, (await kubectl.RunAsync("get clusters.clusterregistry.k8s.io")).ExitCode);
    }
}
