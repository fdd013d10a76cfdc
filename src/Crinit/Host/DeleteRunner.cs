using ClusterRegistry.Crinit.Cli;
using ClusterRegistry.Crinit.Kubeconfig;
using ClusterRegistry.Crinit.Manifests;
using k8s;
using k8s.Models;

namespace ClusterRegistry.Crinit.Host;

/// <summary>
/// <c>crinit standalone|aggregated delete NAME</c>: the kubeconfig entry, then (aggregated) the APIService first —
/// an APIService left without a server blocks namespace deletion cluster-wide — and the RBAC bindings, then the
/// namespace, waiting (bounded) until it is gone. Each removal is reported; what is already gone is not an error.
/// A namespace crinit did not create (no app=clusterregistry label, e.g. "default") is not deleted: only the
/// registry's own objects in it are.
/// </summary>
public sealed class DeleteRunner(HostOptions options, bool ignoreErrors, TextWriter output)
{
    private readonly Names _names = new(options.Name, options.Namespace);
    private readonly List<string> _removed = [];
    private readonly List<string> _failed = [];
    private readonly List<string> _kept = [];

    /// <summary>Returns the process exit code: 0 (a failed step aborts with an exception, or is listed under --ignore-errors).</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var location = KubeconfigLocation.FromEnvironment(options.Kubeconfig);
        if (options.DryRun)
        {
            output.WriteLine("Dry run: nothing is sent to the host cluster and the kubeconfig is not changed. Would delete:");
            foreach (var item in Plan()) output.WriteLine("  " + item);
            return 0;
        }

        using var host = HostCluster.Connect(location, options.HostClusterContext);
        output.WriteLine($"Host cluster: {host.Server} (context \"{host.Context}\")");
        if (options.Mode == Mode.Aggregated)
        {
            // The APIService and the bindings have fixed names: another install's are left in place, not deleted.
            // When whose they are cannot be read (--ignore-errors went on), they are not deleted either.
            IReadOnlyList<Ownership.Claim>? foreign = null;
            await Try("read the cluster-wide objects", async () => foreign = options.Force ? [] : await Ownership.ForeignSharedObjectsAsync(host, _names, ct));
            if (foreign is not null)
            {
                await DeleteShared(host, foreign, $"apiservice {Names.ApiService}", c => c.ApiregistrationV1.DeleteAPIServiceAsync(Names.ApiService, cancellationToken: ct));
                await DeleteShared(host, foreign, $"rolebinding kube-system/{Names.AuthReaderBinding}",
                    c => c.RbacAuthorizationV1.DeleteNamespacedRoleBindingAsync(Names.AuthReaderBinding, "kube-system", cancellationToken: ct));
                await DeleteShared(host, foreign, $"clusterrolebinding {Names.AuthDelegatorBinding}",
                    c => c.RbacAuthorizationV1.DeleteClusterRoleBindingAsync(Names.AuthDelegatorBinding, cancellationToken: ct));
            }
        }
        await Try($"delete namespace {_names.Namespace}", () => DeleteNamespaceAsync(host, ct));
        // Last: a delete that fails half-way leaves a registry still running, and its credentials with the user.
        await Try("delete the kubeconfig entry", () => { RemoveKubeconfigEntry(location); return Task.CompletedTask; });

        output.WriteLine(_removed.Count == 0 ? "Removed nothing: no part of the registry was found." : $"Removed: {string.Join(", ", _removed)}");
        if (_kept.Count > 0) output.WriteLine($"Kept (another install's; --force removes them): {string.Join(", ", _kept)}");
        if (_failed.Count == 0) return 0;
        output.WriteLine($"Not removed (--ignore-errors): {string.Join("; ", _failed)}");
        // Went on past the failures, but a script must still see that something is left.
        return 1;
    }

    private IEnumerable<string> Plan()
    {
        yield return $"kubeconfig cluster, user and context \"{_names.Instance}\"";
        if (options.Mode == Mode.Aggregated)
        {
            yield return $"apiservice {Names.ApiService}";
            yield return $"rolebinding kube-system/{Names.AuthReaderBinding}";
            yield return $"clusterrolebinding {Names.AuthDelegatorBinding}";
        }
        yield return $"namespace {_names.Namespace} (if crinit created it; else the registry's objects in it)";
    }

    private void RemoveKubeconfigEntry(KubeconfigLocation location)
    {
        foreach (var path in location.Existing)
        {
            var file = KubeconfigFile.Load(path);
            var sections = file.Remove(_names.Instance);
            if (sections.Count == 0) continue;
            file.Save(path);
            Removed($"kubeconfig {string.Join("/", sections)} \"{_names.Instance}\" ({path})");
            if (file.CurrentContext == _names.Instance)
                output.WriteLine($"  warning: \"{_names.Instance}\" was the current context of {path}; choose another with kubectl config use-context");
        }
    }

    private async Task DeleteNamespaceAsync(HostCluster host, CancellationToken ct)
    {
        var ns = await host.ReadOrNullAsync($"read namespace {_names.Namespace}", c => c.CoreV1.ReadNamespaceAsync(_names.Namespace, cancellationToken: ct));
        if (ns is null)
        {
            output.WriteLine($"namespace {_names.Namespace} not found (already gone)");
            return;
        }
        var (contents, others) = await ContentsAsync(host, ct);
        if (!InitRunner.Owned(ns.Metadata, _names) || others.Count > 0)
        {
            output.WriteLine(!InitRunner.Labelled(ns.Metadata)
                ? $"namespace {_names.Namespace} was not created by crinit (no app={Names.AppLabel} label): deleting only the registry's objects in it"
                : $"namespace {_names.Namespace} is shared with the install {string.Join(", ", others.Append(Ownership.MarkedOwner(ns.Metadata)).Where(o => o is not null && o != _names.Install).Distinct())}: deleting only this install's objects in it");
            await DeleteOwnObjectsAsync(host, ct);
            return;
        }
        await host.CallAsync($"delete namespace {_names.Namespace}", c => c.CoreV1.DeleteNamespaceAsync(_names.Namespace, cancellationToken: ct));
        Removed($"namespace {_names.Namespace}{(contents.Count > 0 ? " with " + string.Join(", ", contents) : "")}");
        await new Waiter(output, options.WaitTimeout, TimeSpan.FromSeconds(2)).UntilAsync($"namespace {_names.Namespace} to be gone", async token =>
        {
            var left = await host.ReadOrNullAsync("read the namespace", c => c.CoreV1.ReadNamespaceAsync(_names.Namespace, cancellationToken: token));
            if (left is null) return new Waiter.Probe(true, "");
            var stuck = left.Status?.Conditions?.Where(c => c.Status == "True").Select(c => $"{c.Type}: {c.Message}").ToList() ?? [];
            return new Waiter.Probe(false, stuck.Count > 0 ? string.Join("; ", stuck) : $"{left.Status?.Phase ?? "Terminating"}");
        }, "the namespace controller (kube-controller-manager) may be down, or a finalizer is left (see kubectl get namespace -o yaml); an unavailable APIService anywhere in the cluster also blocks namespace deletion", ct);
    }

    /// <summary>
    /// The registry objects in the namespace, named for the report, and the other installs some of them belong to
    /// (then the namespace is not this install's alone to delete).
    /// </summary>
    private async Task<(List<string> Found, List<string> Others)> ContentsAsync(HostCluster host, CancellationToken ct)
    {
        var selector = $"app={Names.AppLabel}";
        var ns = _names.Namespace;
        var items = new List<(string Kind, V1ObjectMeta Meta)>();
        items.AddRange((await host.CallAsync("list deployments", c => c.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: selector, cancellationToken: ct))).Items.Select(o => ("deployment", o.Metadata)));
        items.AddRange((await host.CallAsync("list services", c => c.CoreV1.ListNamespacedServiceAsync(ns, labelSelector: selector, cancellationToken: ct))).Items.Select(o => ("service", o.Metadata)));
        items.AddRange((await host.CallAsync("list secrets", c => c.CoreV1.ListNamespacedSecretAsync(ns, labelSelector: selector, cancellationToken: ct))).Items.Select(o => ("secret", o.Metadata)));
        items.AddRange((await host.CallAsync("list persistentvolumeclaims", c => c.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns, labelSelector: selector, cancellationToken: ct))).Items.Select(o => ("persistentvolumeclaim", o.Metadata)));
        items.AddRange((await host.CallAsync("list serviceaccounts", c => c.CoreV1.ListNamespacedServiceAccountAsync(ns, labelSelector: selector, cancellationToken: ct))).Items.Select(o => ("serviceaccount", o.Metadata)));
        var others = items.Select(i => Ownership.MarkedOwner(i.Meta)).Where(o => o is not null && o != _names.Install).Select(o => o!).Distinct().ToList();
        return (items.Select(i => $"{i.Kind}/{i.Meta.Name}").ToList(), others);
    }

    private async Task DeleteOwnObjectsAsync(HostCluster host, CancellationToken ct)
    {
        var ns = _names.Namespace;
        await Delete(host, $"deployment {ns}/{_names.Deployment}", c => c.AppsV1.DeleteNamespacedDeploymentAsync(_names.Deployment, ns, propagationPolicy: "Foreground", cancellationToken: ct));
        await Delete(host, $"service {ns}/{_names.Service}", c => DeleteServiceAsync(c, ns, ct));
        await Delete(host, $"secret {ns}/{_names.CredentialsSecret}", c => c.CoreV1.DeleteNamespacedSecretAsync(_names.CredentialsSecret, ns, cancellationToken: ct));
        await Delete(host, $"secret {ns}/{_names.CaSecret}", c => c.CoreV1.DeleteNamespacedSecretAsync(_names.CaSecret, ns, cancellationToken: ct));
        await Delete(host, $"persistentvolumeclaim {ns}/{_names.Claim}", c => c.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync(_names.Claim, ns, cancellationToken: ct));
        // The ServiceAccount's name is fixed too: another aggregated install in this namespace may use it.
        var account = options.Mode == Mode.Aggregated
            ? await host.ReadOrNullAsync($"read serviceaccount {ns}/{Names.ServiceAccount}", c => c.CoreV1.ReadNamespacedServiceAccountAsync(Names.ServiceAccount, ns, cancellationToken: ct))
            : null;
        if (account is not null && !options.Force && Ownership.MarkedOwner(account.Metadata) is { } owner && owner != _names.Install)
            Kept($"serviceaccount {ns}/{Names.ServiceAccount}", $"the install {owner}");
        else if (options.Mode == Mode.Aggregated)
            await Delete(host, $"serviceaccount {ns}/{Names.ServiceAccount}", c => c.CoreV1.DeleteNamespacedServiceAccountAsync(Names.ServiceAccount, ns, cancellationToken: ct));
        // Foreground deletion: the Deployment goes last, after its ReplicaSets and pods.
        await new Waiter(output, options.WaitTimeout, TimeSpan.FromSeconds(1)).UntilAsync($"deployment {ns}/{_names.Deployment} and its pods to be gone", async token =>
        {
            var left = await host.ReadOrNullAsync("read the deployment", c => c.AppsV1.ReadNamespacedDeploymentAsync(_names.Deployment, ns, cancellationToken: token));
            return left is null ? new Waiter.Probe(true, "") : new Waiter.Probe(false, $"finalizers: {string.Join(", ", left.Metadata.Finalizers ?? [])}");
        }, "the garbage collector (kube-controller-manager) may be down", ct);
    }

    /// <summary>
    /// Hosts before 1.23 answer a Service's deletion with a Status, which KubernetesClient cannot read as the
    /// Service it expects; such a parse failure only follows a successful (200) answer, so the Service is gone.
    /// </summary>
    private async Task<object> DeleteServiceAsync(IKubernetes c, string ns, CancellationToken ct)
    {
        try
        {
            return await c.CoreV1.DeleteNamespacedServiceAsync(_names.Service, ns, cancellationToken: ct);
        }
        catch (System.Text.Json.JsonException)
        {
            return "deleted";
        }
    }

    private Task Delete<T>(HostCluster host, string what, Func<IKubernetes, Task<T>> call) where T : class =>
        Try($"delete {what}", async () =>
        {
            if (await host.ReadOrNullAsync($"delete {what}", call) is null) output.WriteLine($"{what} not found (already gone)");
            else Removed(what);
        });

    private Task DeleteShared<T>(HostCluster host, IReadOnlyList<Ownership.Claim> foreign, string what, Func<IKubernetes, Task<T>> call) where T : class
    {
        if (foreign.FirstOrDefault(f => f.What == what) is { } claim)
        {
            Kept(what, claim.Owner!);
            return Task.CompletedTask;
        }
        return Delete(host, what, call);
    }

    private void Kept(string what, string owner)
    {
        _kept.Add(what);
        output.WriteLine($"{what} belongs to {owner}, not to {_names.Install}: left in place (delete that install to remove it, or give --force)");
    }

    private void Removed(string what)
    {
        _removed.Add(what);
        output.WriteLine($"{what} deleted");
    }

    private async Task Try(string action, Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (CrinitException e) when (ignoreErrors)
        {
            _failed.Add(e.Message);
            output.WriteLine($"  error (ignored): {e.Message}");
        }
        catch (Exception e) when (ignoreErrors && e is IOException or UnauthorizedAccessException or InvalidDataException or YamlDotNet.Core.YamlException)
        {
            _failed.Add($"{action}: {e.Message}");
            output.WriteLine($"  error (ignored): cannot {action}: {e.Message}");
        }
    }
}
