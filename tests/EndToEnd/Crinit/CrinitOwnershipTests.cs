using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using k8s;

namespace ClusterRegistry.Tests.EndToEnd.Crinit;

/// <summary>
/// Two aggregated installs on one real kube-apiserver 1.20: the APIService and the RBAC bindings have fixed names, so
/// the second init must not take them over (it is refused before it writes anything) and the second delete must not
/// remove them; <c>--force</c> takes them over on purpose.
/// </summary>
[Requires(Prerequisite.HostCluster)]
[Collection(CrinitHostCollection.Name)]
public sealed class CrinitOwnershipTests(HostCluster host) : CrinitHostTests(host)
{
    private static readonly TimeSpan Run = TimeSpan.FromMinutes(3);
    private static readonly string[] Shared =
    [
        "apiservice v1alpha1.clusterregistry.k8s.io", "clusterrolebinding clusterregistry.k8s.io:apiserver-auth-delegator",
        "rolebinding kube-system/clusterregistry.k8s.io:extension-apiserver-authentication-reader",
    ];

    [Fact]
    public async Task ASecondInstall_NeitherTakesOverNorDeletes_TheFirstsClusterWideObjects()
    {
        var kubeconfig = UserKubeconfig();
        var before = await ObjectsAsync();
        // The first install: every object made (its wait for a pod fails at once here, as no kubelet runs).
        var first = await CrinitCli.RunAsync(Run, "aggregated", "init", "first", "--kubeconfig", kubeconfig, "--cluster-registry-namespace", "crinit-first", "--wait-timeout", "1s");
        Assert.Contains("apiservice v1alpha1.clusterregistry.k8s.io created", first.Stdout);
        var installed = await ObjectsAsync();
        var api = await Host.Kubernetes.ApiregistrationV1.ReadAPIServiceAsync("v1alpha1.clusterregistry.k8s.io");
        Assert.Equal("crinit-first/first", api.Metadata.Annotations["clusterregistry.k8s.io/install"]);

        // Another name in another namespace: refused in one line, with the two ways out, and nothing written.
        var second = await CrinitCli.RunAsync(Run, "aggregated", "init", "second", "--kubeconfig", kubeconfig, "--cluster-registry-namespace", "crinit-second", "--wait-timeout", "1s");
        Assert.True(second.ExitCode == 1, second.ToString());
        Assert.Equal(
            $"error: {string.Join(", ", Shared)} belong to the install crinit-first/first, not to crinit-second/second: a host cluster serves one aggregated registry " +
            "(these names are fixed); remove that install first (crinit aggregated delete first --cluster-registry-namespace crinit-first), or take them over with --force\n",
            second.Stderr);
        Assert.Equal(installed, await ObjectsAsync());
        Assert.Equal("crinit-first", (await Host.Kubernetes.ApiregistrationV1.ReadAPIServiceAsync("v1alpha1.clusterregistry.k8s.io")).Spec.Service.NamespaceProperty);

        // Its delete removes what is its own (nothing) and leaves the first's cluster-wide objects, saying so.
        var secondDelete = await CrinitCli.OkAsync(Run, "aggregated", "delete", "second", "--kubeconfig", kubeconfig, "--cluster-registry-namespace", "crinit-second");
        foreach (var shared in Shared)
            Assert.Contains($"{shared} belongs to the install crinit-first/first, not to crinit-second/second: left in place", secondDelete.Stdout);
        Assert.Contains("Removed nothing", secondDelete.Stdout);
        Assert.Equal(installed, await ObjectsAsync());

        // A second install in the first's namespace: its delete must not take the namespace (and the first) with it.
        await CrinitCli.RunAsync(Run, "standalone", "init", "neighbour", "--kubeconfig", kubeconfig, "--cluster-registry-namespace", "crinit-first",
            "--api-server-service-type", "NodePort", "--api-server-advertise-address", "127.0.0.1", "--wait-timeout", "1s");
        Assert.Contains("deployment crinit-first/neighbour-apiserver", await ObjectsAsync());
        var neighbourDelete = await CrinitCli.OkAsync(Run, "standalone", "delete", "neighbour", "--kubeconfig", kubeconfig, "--cluster-registry-namespace", "crinit-first");
        Assert.Contains("namespace crinit-first is shared with the install crinit-first/first: deleting only this install's objects in it", neighbourDelete.Stdout);
        Assert.Equal(installed, await ObjectsAsync());

        // Taken over on purpose: the APIService now names the second install's Service.
        var forced = await CrinitCli.RunAsync(Run, "aggregated", "init", "second", "--kubeconfig", kubeconfig, "--cluster-registry-namespace", "crinit-second", "--wait-timeout", "1s", "--force");
        Assert.Contains("apiservice v1alpha1.clusterregistry.k8s.io belongs to the install crinit-first/first: taken over (--force)", forced.Stdout);
        api = await Host.Kubernetes.ApiregistrationV1.ReadAPIServiceAsync("v1alpha1.clusterregistry.k8s.io");
        Assert.Equal(("crinit-second/second", "crinit-second", "second"), (api.Metadata.Annotations["clusterregistry.k8s.io/install"], api.Spec.Service.NamespaceProperty, api.Spec.Service.Name));

        // The APIService's owner goes first: while it names a Service nothing serves, the host's namespace controller
        // cannot finish any namespace deletion (discovery of the group fails).
        var secondGone = await CrinitCli.OkAsync(Run, "aggregated", "delete", "second", "--kubeconfig", kubeconfig, "--cluster-registry-namespace", "crinit-second", "--wait-timeout", "2m");
        Assert.Contains("apiservice v1alpha1.clusterregistry.k8s.io deleted", secondGone.Stdout);
        Assert.Contains("crinit-first/", string.Join('\n', await ObjectsAsync()));
        var firstGone = await CrinitCli.OkAsync(Run, "aggregated", "delete", "first", "--kubeconfig", kubeconfig, "--cluster-registry-namespace", "crinit-first", "--wait-timeout", "2m");
        Assert.Contains("apiservice v1alpha1.clusterregistry.k8s.io not found (already gone)", firstGone.Stdout);
        Assert.Equal(before, await ObjectsAsync());
    }

    /// <summary>The installs' objects, without the pods and ReplicaSets the host's controllers make in their own time.</summary>
    private async Task<List<string>> ObjectsAsync() =>
        (await HostInventory.ListAsync(Host.Kubernetes)).Where(l => !l.StartsWith("pod ", StringComparison.Ordinal) && !l.StartsWith("replicaset ", StringComparison.Ordinal)).ToList();
}
