using System.Text;
using ClusterRegistry.Crinit.Cli;
using ClusterRegistry.Crinit.Kubeconfig;
using ClusterRegistry.Crinit.Manifests;
using ClusterRegistry.Crinit.Pki;
using k8s;
using k8s.Models;

namespace ClusterRegistry.Crinit.Host;

/// <summary><c>crinit standalone|aggregated init NAME</c> against a host cluster (not --dry-run; see <see cref="DryRun"/>).</summary>
public sealed class InitRunner(InitOptions options, TextWriter output, TimeProvider time)
{
    private readonly Names _names = new(options.Host.Name, options.Host.Namespace);
    private readonly Waiter _waiter = new(output, options.Host.WaitTimeout, TimeSpan.FromSeconds(2));

    public async Task RunAsync(CancellationToken ct)
    {
        var location = KubeconfigLocation.FromEnvironment(options.Host.Kubeconfig);
        using var host = HostCluster.Connect(location, options.Host.HostClusterContext);
        output.WriteLine($"Host cluster: {host.Server} (context \"{host.Context}\")");
        if (options.Host.Mode == Mode.Aggregated)
        {
            await AggregationPreflight.CheckAsync(host, output, ct);
            // Before anything is written: a refused init leaves the host as it was.
            var foreign = await Ownership.ForeignSharedObjectsAsync(host, _names, ct);
            if (foreign.Count > 0 && !options.Host.Force) throw Ownership.Refusal(foreign, _names);
            foreach (var claim in foreign) output.WriteLine($"{claim.What} belongs to {claim.Owner}: taken over (--force)");
        }

        // The endpoint comes first: its addresses go into the serving certificate.
        await NamespaceStep(host, ct);
        await Step(host, ManifestBuilder.Service(_names, options), ct);
        var endpoint = await EndpointResolver.ResolveAsync(host, _names, options, _waiter, output, ct);

        var kubeconfigPath = location.WriteTarget(_names.Instance);
        var (adminCert, adminKey) = KubeconfigFile.Load(kubeconfigPath).ClientCredentials(_names.Instance);
        var caSecret = await ReadSecretAsync(host, _names.CaSecret, ct);
        var credentialsSecret = await ReadSecretAsync(host, _names.CredentialsSecret, ct);
        using var credentials = Credentials.Converge(_names, endpoint, options.EnableTokenAuth, new ExistingCredentials(
            Text(caSecret, SecretKeys.CaCertificate), Text(caSecret, SecretKeys.CaKey),
            Text(credentialsSecret, SecretKeys.ServerCertificate), Text(credentialsSecret, SecretKeys.ServerKey),
            Text(credentialsSecret, SecretKeys.TokenCsv), adminCert, adminKey), time.GetUtcNow(), adminCertificate: endpoint.Url is not null);
        output.WriteLine(credentials.Reissued.Count == 0
            ? "Credentials: kept from the earlier run"
            : $"Credentials: generated {string.Join(", ", credentials.Reissued)}");

        foreach (var obj in ManifestBuilder.Build(_names, options, credentials, endpoint).Skip(2)) await Step(host, obj, ct);

        if (endpoint.Url is { } url && credentials.Admin is { } admin)
        {
            var file = KubeconfigFile.Load(kubeconfigPath);
            file.Upsert(_names.Instance, url, credentials.Ca.CertificatePem, admin.CertificatePem, admin.KeyPem, credentials.Token);
            file.Save(kubeconfigPath);
            output.WriteLine($"Kubeconfig: cluster, user and context \"{_names.Instance}\" written to {kubeconfigPath} (current context unchanged)");
        }

        await WaitForPodAsync(host, ct);
        if (options.Host.Mode == Mode.Standalone)
        {
            await WaitForEndpointAsync(kubeconfigPath, endpoint, ct);
            output.WriteLine($"Cluster registry API server is running at: {endpoint.Describe()}");
            output.WriteLine($"Try: kubectl --context {_names.Instance} get clusters");
        }
        else
        {
            await WaitForApiServiceAsync(host, ct);
            output.WriteLine($"Cluster registry is served by the host cluster: kubectl --context {host.Context} get clusters");
        }
    }

    /// <summary>
    /// A namespace that exists without crinit's label (e.g. "default") is the user's: it is left untouched, so
    /// delete later removes only the registry's objects from it, never the namespace.
    /// </summary>
    private async Task NamespaceStep(HostCluster host, CancellationToken ct)
    {
        var existing = await host.ReadOrNullAsync($"read namespace {_names.Namespace}", c => c.CoreV1.ReadNamespaceAsync(_names.Namespace, cancellationToken: ct));
        if (existing is not null && !Owned(existing.Metadata, _names))
        {
            output.WriteLine(Ownership.MarkedOwner(existing.Metadata) is { } owner && InitRunner.Labelled(existing.Metadata)
                ? $"namespace {_names.Namespace} belongs to the install {owner}: left as it is"
                : $"namespace {_names.Namespace} exists and was not created by crinit: left as it is");
            return;
        }
        await Step(host, ManifestBuilder.Namespace(_names), ct);
    }

    /// <summary>Whether this install created the namespace (and so may delete it with everything in it).</summary>
    public static bool Owned(V1ObjectMeta meta, Names names) => Labelled(meta) && Ownership.IsOurs(meta, names);

    public static bool Labelled(V1ObjectMeta meta) => meta.Labels?.TryGetValue("app", out var app) == true && app == Names.AppLabel;

    private async Task Step(HostCluster host, IKubernetesObject<V1ObjectMeta> obj, CancellationToken ct)
    {
        var result = await Applier.ApplyAsync(host, obj, ct);
        output.WriteLine($"{Applier.Describe(obj)} {result}");
    }

    private Task<V1Secret?> ReadSecretAsync(HostCluster host, string name, CancellationToken ct) =>
        host.ReadOrNullAsync($"read secret {_names.Namespace}/{name}", c => c.CoreV1.ReadNamespacedSecretAsync(name, _names.Namespace, cancellationToken: ct));

    private static string? Text(V1Secret? secret, string key) =>
        secret?.Data is { } data && data.TryGetValue(key, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;

    private Task WaitForPodAsync(HostCluster host, CancellationToken ct) =>
        _waiter.UntilAsync($"a running {_names.Deployment} pod", async token =>
        {
            var pods = await host.CallAsync("list the registry's pods",
                c => c.CoreV1.ListNamespacedPodAsync(_names.Namespace, labelSelector: Names.PodSelector, cancellationToken: token));
            if (pods.Items.Any(p => p.Status?.Phase == "Running" && p.Metadata.DeletionTimestamp is null)) return new Waiter.Probe(true, "");
            if (pods.Items.Count == 0) return new Waiter.Probe(false, "no pod yet (the Deployment controller makes one)");
            return new Waiter.Probe(false, string.Join("; ", pods.Items.Select(PodState)));
        }, $"see kubectl --context {host.Context} -n {_names.Namespace} describe pods -l {Names.PodSelector} (image pull, volume binding and scheduling problems show there)", ct);

    private static string PodState(V1Pod pod)
    {
        var waiting = pod.Status?.ContainerStatuses?.Select(s => s.State?.Waiting).FirstOrDefault(w => w is not null);
        var unscheduled = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False");
        var why = waiting is not null ? $"{waiting.Reason}: {waiting.Message}" : unscheduled is not null ? $"{unscheduled.Reason}: {unscheduled.Message}" : "";
        return $"pod {pod.Metadata.Name}: {pod.Status?.Phase ?? "Pending"}{(why.Length > 0 ? " (" + why.TrimEnd(' ', ':') + ")" : "")}";
    }

    /// <summary>Lists clusters with the kubeconfig entry just written: proves the address, the CA and the admin identity.</summary>
    private Task WaitForEndpointAsync(string kubeconfigPath, Endpoint endpoint, CancellationToken ct) =>
        _waiter.UntilAsync($"the registry to answer at {endpoint.Url}", async token =>
        {
            var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath, currentContext: _names.Instance);
            config.HttpClientTimeout = TimeSpan.FromSeconds(5);
            using var registry = new Kubernetes(config);
            var registryHost = new HostCluster(registry, config.Host, _names.Instance);
            await registryHost.CallAsync("list clusters", c => c.CustomObjects.ListClusterCustomObjectAsync(Names.Group, Names.Version, "clusters", cancellationToken: token));
            return new Waiter.Probe(true, "");
        }, "the pod runs but this machine cannot reach it there: check the address is reachable from here (firewall, NodePort), or give --api-server-advertise-address", ct);

    private async Task WaitForApiServiceAsync(HostCluster host, CancellationToken ct)
    {
        await _waiter.UntilAsync($"APIService {Names.ApiService} to be Available", async token =>
        {
            var service = await host.CallAsync("read the APIService", c => c.ApiregistrationV1.ReadAPIServiceAsync(Names.ApiService, cancellationToken: token));
            var available = service.Status?.Conditions?.FirstOrDefault(c => c.Type == "Available");
            return available?.Status == "True"
                ? new Waiter.Probe(true, "")
                : new Waiter.Probe(false, available is null ? "no Available condition yet" : $"Available={available.Status} ({available.Reason}: {available.Message})");
        }, "the host's API server cannot reach or trust the registry: FailedDiscoveryCheck with 403/401 means the registry does not accept the host's front-proxy certificate; a connection error means the Service has no ready endpoint", ct);
        // The aggregator wires its proxy a moment after Available; until then it answers 404.
        await _waiter.UntilAsync("the clusters API through the host's API server", async token =>
        {
            await host.CallAsync("list clusters through the host", c => c.CustomObjects.ListClusterCustomObjectAsync(Names.Group, Names.Version, "clusters", cancellationToken: token));
            return new Waiter.Probe(true, "");
        }, "the APIService is Available but requests through it fail: see the registry's log", ct);
    }
}
