using System.Text;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using k8s;

namespace ClusterRegistry.Tests.EndToEnd.Crinit;

/// <summary>
/// <c>crinit aggregated init|delete</c> against a real kube-apiserver 1.20 with the aggregation layer on: every
/// object, the APIService (apiregistration.k8s.io/v1) trusting crinit's CA, a bounded wait for availability with
/// the host's reason on timeout, a converging re-run, and a delete that removes the APIService first and leaves
/// nothing behind.
/// </summary>
[Requires(Prerequisite.HostCluster)]
[Requires(Prerequisite.Kubectl120)]
[Collection(CrinitHostCollection.Name)]
public sealed class CrinitAggregatedTests(HostCluster host) : CrinitHostTests(host)
{
    private static readonly TimeSpan Run = TimeSpan.FromMinutes(3);
    [Fact]
    public async Task Init_CreatesEveryObject_AndTheApiService_WaitsBounded_ARerunConverges_AndDeleteLeavesNothing()
    {
        const string name = "registry";
        const string ns = "crinit-aggregated";
        var kubeconfig = UserKubeconfig();
        var before = await HostInventory.ListAsync(Host.Kubernetes);

        // Nothing serves the registry behind the APIService here, so init ends at its availability wait.
        var init = CrinitCli.RunAsync(Run, "aggregated", "init", name, "--kubeconfig", kubeconfig, "--cluster-registry-namespace", ns, "--wait-timeout", "20s");
        await HostActors.MarkPodRunningAsync(Host.Kubernetes, ns);
        var first = await init;
        Assert.True(first.ExitCode == 1, $"crinit aggregated init\n{first}");
        Assert.Contains("Aggregation layer: on", first.Stdout);
        Assert.Contains("no node address found: the kubeconfig entry is not written", first.Stdout);
        Assert.True(first.Stdout.Contains("Waiting for APIService v1alpha1.clusterregistry.k8s.io to be Available (up to 20s)", StringComparison.Ordinal), first.ToString());
        Assert.Matches(@"^error: timed out after 20s waiting for APIService v1alpha1\.clusterregistry\.k8s\.io to be Available \(last seen: Available=False \(\w+: .+\)\); ", first.Stderr);

        var created = HostInventory.Of((await HostInventory.ListAsync(Host.Kubernetes)).Except(before), ns);
        Assert.Equal(
            ["apiservice v1alpha1.clusterregistry.k8s.io", "clusterrolebinding clusterregistry.k8s.io:apiserver-auth-delegator",
             $"deployment {ns}/{name}-apiserver", $"namespace {ns}", $"persistentvolumeclaim {ns}/{name}-etcd-claim",
             "rolebinding kube-system/clusterregistry.k8s.io:extension-apiserver-authentication-reader",
             $"secret {ns}/{name}-apiserver-ca", $"secret {ns}/{name}-apiserver-credentials",
             $"service {ns}/{name}", $"serviceaccount {ns}/clusterregistry-k8s-io-apiserver"],
            created);
        var api = await Host.Kubernetes.ApiregistrationV1.ReadAPIServiceAsync("v1alpha1.clusterregistry.k8s.io");
        var secret = await Host.Kubernetes.CoreV1.ReadNamespacedSecretAsync(name + "-apiserver-credentials", ns);
        Assert.Equal(Encoding.ASCII.GetString(secret.Data["ca.crt"]), Encoding.ASCII.GetString(api.Spec.CaBundle));
        Assert.Equal((ns, name, 443), (api.Spec.Service.NamespaceProperty, api.Spec.Service.Name, api.Spec.Service.Port));
        var service = await Host.Kubernetes.CoreV1.ReadNamespacedServiceAsync(name, ns);
        Assert.Equal("NodePort", service.Spec.Type);
        var nodePort = service.Spec.Ports.Single().NodePort;
        // The host's own RBAC now lets the registry's ServiceAccount review tokens and read the front-proxy settings.
        var sa = $"system:serviceaccount:{ns}:clusterregistry-k8s-io-apiserver";
        var kubectl = Host.Kubectl;
        Assert.Equal("yes", (await kubectl.RunAsync($"auth can-i create tokenreviews.authentication.k8s.io --as {sa}")).Stdout.Trim());
        Assert.Equal("yes", (await kubectl.RunAsync($"auth can-i create subjectaccessreviews.authorization.k8s.io --as {sa}")).Stdout.Trim());
        Assert.Equal("yes", (await kubectl.RunAsync($"auth can-i get configmap/extension-apiserver-authentication -n kube-system --as {sa}")).Stdout.Trim());
        Assert.Equal("no", (await kubectl.RunAsync($"auth can-i get secrets -n kube-system --as {sa}")).Stdout.Trim());

        // Again: nothing is created twice or changed (the node port the host picked is kept), the wait is bounded again.
        var uids = await HostInventory.UidsAsync(Host.Kubernetes, ns);
        var second = await CrinitCli.RunAsync(Run, "aggregated", "init", name, "--kubeconfig", kubeconfig, "--cluster-registry-namespace", ns, "--wait-timeout", "5s");
        Assert.True(second.ExitCode == 1, second.ToString());
        Assert.Contains("Credentials: kept from the earlier run", second.Stdout);
        foreach (var line in created)
            Assert.True(second.Stdout.Contains(line + (line.StartsWith("persistentvolumeclaim ", StringComparison.Ordinal) ? " configured\n" : " unchanged\n"), StringComparison.Ordinal), $"{line}?\n{second}");
        Assert.Equal(uids, await HostInventory.UidsAsync(Host.Kubernetes, ns));
        Assert.Equal(nodePort, (await Host.Kubernetes.CoreV1.ReadNamespacedServiceAsync(name, ns)).Spec.Ports.Single().NodePort);

        // Delete: the APIService goes first (an unavailable one would block the namespace's deletion), then the bindings.
        var delete = await CrinitCli.OkAsync(Run, "aggregated", "delete", name, "--kubeconfig", kubeconfig, "--cluster-registry-namespace", ns);
        var order = new[] { "apiservice v1alpha1.clusterregistry.k8s.io deleted", "rolebinding kube-system/", "clusterrolebinding ", $"namespace {ns} with " }
            .Select(s => delete.Stdout.IndexOf(s, StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(-1, order);
        Assert.Equal(order.Order(), order);
        Assert.Equal(before, await HostInventory.ListAsync(Host.Kubernetes));
    }

    [Fact]
    public async Task InANamespaceItDidNotCreate_DeleteRemovesOnlyTheRegistrysObjects()
    {
        const string ns = "crinit-users-namespace";
        var kubeconfig = UserKubeconfig();
        await Host.Kubernetes.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new() { Name = ns } });
        await Host.Kubernetes.CoreV1.CreateNamespacedConfigMapAsync(new k8s.Models.V1ConfigMap { Metadata = new() { Name = "users-data" } }, ns);
        var before = await HostInventory.ListAsync(Host.Kubernetes);

        var init = await CrinitCli.RunAsync(Run, "aggregated", "init", "registry", "--kubeconfig", kubeconfig, "--cluster-registry-namespace", ns, "--wait-timeout", "1s");
        Assert.Contains($"namespace {ns} exists and was not created by crinit: left as it is", init.Stdout);
        Assert.Contains($"deployment {ns}/registry-apiserver created", init.Stdout);
        Assert.Null((await Host.Kubernetes.CoreV1.ReadNamespaceAsync(ns)).Metadata.Labels);

        var delete = await CrinitCli.OkAsync(Run, "aggregated", "delete", "registry", "--kubeconfig", kubeconfig, "--cluster-registry-namespace", ns);
        Assert.Contains($"namespace {ns} was not created by crinit (no app=clusterregistry label): deleting only the registry's objects in it", delete.Stdout);
        foreach (var removed in new[] { "deployment", "service", "secret", "persistentvolumeclaim", "serviceaccount" })
            Assert.Contains($"{removed} {ns}/", delete.Stdout);
        Assert.Equal(before, await HostInventory.ListAsync(Host.Kubernetes));
        Assert.Equal("users-data", (await Host.Kubernetes.CoreV1.ReadNamespacedConfigMapAsync("users-data", ns)).Metadata.Name);
        await Host.Kubernetes.CoreV1.DeleteNamespaceAsync(ns);
    }

    [Fact]
    public async Task DryRun_PrintsManifests_TheHostAccepts()
    {
        const string ns = "crinit-dry-run";
        await Host.Kubernetes.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new() { Name = ns } });
        foreach (var (mode, extra) in new[] { ("standalone", new[] { "--apiserver-enable-token-auth" }), ("aggregated", new[] { "--etcd-servers", "https://etcd-0.etcd:2379" }) })
            foreach (var kubectl in new[] { Host.Kubectl, Host.KubectlFor(Host.Kubeconfig, Kubectl.V120) })
            {
                var yaml = await CrinitCli.OkAsync(Run, [mode, "init", "registry", "--dry-run", "-o", "yaml", "--cluster-registry-namespace", ns, .. extra]);
                var applied = await kubectl.RunAsync("apply --dry-run=server -f -", yaml.Stdout);
                Assert.True(applied.ExitCode == 0, $"{mode}: kubectl apply --dry-run=server\n{applied}\n{yaml.Stdout}");
                Assert.Contains("deployment.apps/registry-apiserver created (server dry run)", applied.Stdout);
            }
        // Nothing was created by the dry runs.
        Assert.DoesNotContain(await HostInventory.ListAsync(Host.Kubernetes), l => l.Contains(ns, StringComparison.Ordinal));
        await Host.Kubernetes.CoreV1.DeleteNamespaceAsync(ns);
    }
}
