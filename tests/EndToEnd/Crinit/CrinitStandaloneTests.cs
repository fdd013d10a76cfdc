using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using ClusterRegistry.Tests.EndToEnd.KubectlSuite;
using k8s;

namespace ClusterRegistry.Tests.EndToEnd.Crinit;

/// <summary>
/// <c>crinit standalone init|delete</c> against a real kube-apiserver 1.20 and controller manager. The test plays
/// the missing parts of a real cluster — the load-balancer controller and the kubelet (the registry's container
/// runs under Docker from the Deployment and Secret crinit made) — and then drives the registry with kubectl
/// through the kubeconfig entry crinit wrote.
/// </summary>
[Requires(Prerequisite.HostCluster)]
[Requires(Prerequisite.Docker)]
[Requires(Prerequisite.Kubectl120)]
[Collection(CrinitHostCollection.Name)]
public sealed class CrinitStandaloneTests(HostCluster host) : CrinitHostTests(host)
{
    private static readonly TimeSpan Run = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Init_CreatesEveryObject_TheServerRunsWithTheSecret_KubectlWorks_ARerunConverges_AndDeleteLeavesNothing()
    {
        const string name = "registry";
        const string ns = "crinit-standalone";
        var kubeconfig = UserKubeconfig();
        var before = await HostInventory.ListAsync(Host.Kubernetes);
        var address = LoopbackAddress();

        var init = CrinitCli.RunAsync(Run, "standalone", "init", name, "--kubeconfig", kubeconfig, "--cluster-registry-namespace", ns, "--wait-timeout", "2m");
        await HostActors.AssignLoadBalancerAsync(Host.Kubernetes, ns, name, address);
        var deployment = await HostActors.EventuallyAsync("the deployment", async () => await Host.Kubernetes.AppsV1.ReadNamespacedDeploymentAsync(name + "-apiserver", ns));
        var secret = await Host.Kubernetes.CoreV1.ReadNamespacedSecretAsync(name + "-apiserver-credentials", ns);
        await using var pod = await RegistryPod.StartAsync(deployment, secret, address, 443);
        await HostActors.MarkPodRunningAsync(Host.Kubernetes, ns);
        var first = await init;
        Assert.True(first.ExitCode == 0, $"crinit standalone init\n{first}\n{Host.Logs(10)}");
        Assert.Contains($"Waiting for a load balancer address for service {ns}/{name}", first.Stdout);
        Assert.Contains($"Cluster registry API server is running at: {address}", first.Stdout);

        var created = HostInventory.Of((await HostInventory.ListAsync(Host.Kubernetes)).Except(before), ns);
        Assert.Equal(
            [$"deployment {ns}/{name}-apiserver", $"namespace {ns}", $"persistentvolumeclaim {ns}/{name}-etcd-claim",
             $"secret {ns}/{name}-apiserver-ca", $"secret {ns}/{name}-apiserver-credentials", $"service {ns}/{name}"],
            created);
        Assert.Equal("Recreate", deployment.Spec.Strategy.Type);

        // The kubeconfig entry: the host context is still current, the new context reaches the registry as admin.
        var config = KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(kubeconfig));
        Assert.Equal("host", config.CurrentContext);
        Assert.Equal($"https://{address}", config.Clusters.Single(c => c.Name == name).ClusterEndpoint.Server);
        var kubectl = Host.KubectlFor(kubeconfig);
        var cluster = ClusterManifests.UniqueName("crinit");
        await Ok(kubectl, $"--context {name} apply -f -", ClusterManifests.Cluster(cluster));
        Assert.Contains(cluster, await Ok(kubectl, $"--context {name} get clusters -o name"));
        Assert.Contains(cluster, await Ok(Host.KubectlFor(kubeconfig, Kubectl.V120), $"--context {name} get clusters -o name"));
        Assert.Contains($"namespace/{ns}", await Ok(kubectl, "get namespaces -o name"));
        // No anonymous access: without the entry's credentials the registry answers 401.
        using (var anonymous = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true }))
        {
            var response = await anonymous.GetAsync($"{pod.Url}/apis/clusterregistry.k8s.io/v1alpha1/clusters");
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        }

        // Init again: every object converges in place, the credentials are kept, the server keeps running as it was.
        var deploymentVersion = (await Host.Kubernetes.AppsV1.ReadNamespacedDeploymentAsync(name + "-apiserver", ns)).Metadata.ResourceVersion;
        var uids = await HostInventory.UidsAsync(Host.Kubernetes, ns);
        var second = await CrinitCli.OkAsync(Run, "standalone", "init", name, "--kubeconfig", kubeconfig, "--cluster-registry-namespace", ns, "--wait-timeout", "1m");
        Assert.Contains("Credentials: kept from the earlier run", second.Stdout);
        // kube-apiserver 1.20 rewrites a PersistentVolumeClaim on every apply, even an identical one (a new
        // resourceVersion, nothing else), so crinit reports it "configured"; the claim itself is the same object.
        foreach (var line in created)
            Assert.True(second.Stdout.Contains(line + (line.StartsWith("persistentvolumeclaim ", StringComparison.Ordinal) ? " configured\n" : " unchanged\n"), StringComparison.Ordinal), $"{line}?\n{second}");
        Assert.Equal(uids, await HostInventory.UidsAsync(Host.Kubernetes, ns));
        Assert.Equal(deploymentVersion, (await Host.Kubernetes.AppsV1.ReadNamespacedDeploymentAsync(name + "-apiserver", ns)).Metadata.ResourceVersion);
        Assert.Equal(created, HostInventory.Of((await HostInventory.ListAsync(Host.Kubernetes)).Except(before), ns));
        Assert.Contains(cluster, await Ok(kubectl, $"--context {name} get clusters -o name"));

        // Delete: the entry and every object go; what it removed is reported.
        var delete = await CrinitCli.OkAsync(Run, "standalone", "delete", name, "--kubeconfig", kubeconfig, "--cluster-registry-namespace", ns);
        Assert.Contains($"namespace {ns} with deployment/{name}-apiserver", delete.Stdout);
        Assert.Contains($"kubeconfig cluster/user/context \"{name}\"", delete.Stdout);
        Assert.Equal(before, await HostInventory.ListAsync(Host.Kubernetes));
        Assert.Empty((await Host.Kubernetes.CoreV1.ListNamespaceAsync(fieldSelector: $"metadata.name={ns}")).Items);
        config = KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(kubeconfig));
        Assert.DoesNotContain(config.Contexts, c => c.Name == name);
        Assert.Equal(["host"], config.Clusters.Select(c => c.Name));

        // A second delete finds nothing and says so.
        var again = await CrinitCli.OkAsync(Run, "standalone", "delete", name, "--kubeconfig", kubeconfig, "--cluster-registry-namespace", ns);
        Assert.Contains("Removed nothing", again.Stdout);
    }

    [Fact]
    public async Task NodePort_WithAnAdvertisedAddress_PutsAddressAndPortInTheCertificateAndTheKubeconfigEntry()
    {
        const string name = "registry-np";
        const string ns = "crinit-nodeport";
        var kubeconfig = UserKubeconfig();
        var address = LoopbackAddress();
        // In the host's default node-port range; a clash with another Service there would be a 422 from the host.
        var nodePort = Random.Shared.Next(30000, 32768);

        var init = CrinitCli.RunAsync(Run, "standalone", "init", name, "--kubeconfig", kubeconfig, "--cluster-registry-namespace", ns, "--wait-timeout", "2m",
            "--api-server-service-type", "NodePort", "--api-server-advertise-address", address, "--api-server-port", nodePort.ToString(), "--apiserver-enable-token-auth");
        var deployment = await HostActors.EventuallyAsync("the deployment", async () => await Host.Kubernetes.AppsV1.ReadNamespacedDeploymentAsync(name + "-apiserver", ns));
        Assert.Contains($"--advertise-address={address}", deployment.Spec.Template.Spec.Containers[0].Args);
        var secret = await Host.Kubernetes.CoreV1.ReadNamespacedSecretAsync(name + "-apiserver-credentials", ns);
        await using var pod = await RegistryPod.StartAsync(deployment, secret, address, nodePort);
        await HostActors.MarkPodRunningAsync(Host.Kubernetes, ns);
        var first = await init;
        Assert.True(first.ExitCode == 0, $"crinit standalone init\n{first}");
        Assert.Contains($"Cluster registry API server is running at: {address}:{nodePort}", first.Stdout);
        Assert.Equal(nodePort, (await Host.Kubernetes.CoreV1.ReadNamespacedServiceAsync(name, ns)).Spec.Ports.Single().NodePort);

        var config = KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(kubeconfig));
        Assert.Equal($"https://{address}:{nodePort}", config.Clusters.Single(c => c.Name == name).ClusterEndpoint.Server);
        // The entry carries the admin token too; kubectl with the token alone (no client certificate) gets in.
        var token = config.Users.Single(u => u.Name == name).UserCredentials.Token;
        Assert.False(string.IsNullOrEmpty(token));
        var kubectl = Host.KubectlFor(kubeconfig);
        Assert.Equal("No resources found", (await kubectl.RunAsync($"--context {name} get clusters")).Stderr.Trim());
        var tokenKubeconfig = Path.Combine(Dir, "token-only");
        await File.WriteAllTextAsync(tokenKubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: r
              cluster:
                server: https://{address}:{nodePort}
                certificate-authority-data: {Convert.ToBase64String(secret.Data["ca.crt"])}
            users:
            - name: t
              user:
                token: {token}
            contexts:
            - name: c
              context:
                cluster: r
                user: t
            current-context: c
            """);
        var tokenOnly = await Host.KubectlFor(tokenKubeconfig).RunAsync("get clusters");
        Assert.True(tokenOnly.ExitCode == 0, tokenOnly.ToString());

        await CrinitCli.OkAsync(Run, "standalone", "delete", name, "--kubeconfig", kubeconfig, "--cluster-registry-namespace", ns);
        Assert.Empty((await Host.Kubernetes.CoreV1.ListNamespaceAsync(fieldSelector: $"metadata.name={ns}")).Items);
    }

    [Fact]
    public async Task AUserWithoutRights_GetsTheReasonAndTheFix_InOneLine()
    {
        await Host.Kubernetes.CoreV1.CreateNamespacedServiceAccountAsync(new k8s.Models.V1ServiceAccount { Metadata = new() { Name = "crinit-nobody" } }, "default");
        var kubeconfig = Host.WriteKubeconfig("crinit-nobody", await Host.CreateServiceAccountTokenAsync("default", "crinit-nobody"));
        var r = await CrinitCli.RunAsync(Run, "standalone", "init", "registry", "--kubeconfig", kubeconfig, "--cluster-registry-namespace", "crinit-forbidden");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("error: the host cluster refused to ", r.Stderr);
        Assert.Contains("403 Forbidden", r.Stderr);
        Assert.Contains("cluster-admin", r.Stderr);
        Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));

        // Delete stops at the first refusal, unless told to go on, when it lists what it could not remove.
        r = await CrinitCli.RunAsync(Run, "standalone", "delete", "registry", "--kubeconfig", kubeconfig, "--cluster-registry-namespace", "crinit-forbidden");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("403 Forbidden", r.Stderr);
        r = await CrinitCli.RunAsync(Run, "standalone", "delete", "registry", "--kubeconfig", kubeconfig, "--cluster-registry-namespace", "crinit-forbidden", "--ignore-errors");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("Not removed (--ignore-errors): the host cluster refused to read namespace crinit-forbidden (403 Forbidden", r.Stdout);
    }

    private static async Task<string> Ok(Kubectl kubectl, string args, string? stdin = null)
    {
        var r = await kubectl.RunAsync(args, stdin);
        Assert.True(r.ExitCode == 0, $"kubectl {args}\n{r}");
        return r.Stdout.Trim();
    }
}
