using k8s;
using k8s.Models;

namespace ClusterRegistry.Tests.EndToEnd.Crinit;

/// <summary>
/// Everything in the host cluster labelled app=clusterregistry (crinit labels each object it creates), of every kind
/// crinit creates and of the pods and ReplicaSets its Deployment leads to, as sorted "kind namespace/name" lines.
/// </summary>
public static class HostInventory
{
    private const string Selector = "app=clusterregistry";

    public static async Task<List<string>> ListAsync(IKubernetes host)
    {
        var found = new List<string>();
        found.AddRange((await host.CoreV1.ListNamespaceAsync(labelSelector: Selector)).Items.Select(o => Line("namespace", o)));
        found.AddRange((await host.CoreV1.ListServiceForAllNamespacesAsync(labelSelector: Selector)).Items.Select(o => Line("service", o)));
        found.AddRange((await host.CoreV1.ListSecretForAllNamespacesAsync(labelSelector: Selector)).Items.Select(o => Line("secret", o)));
        found.AddRange((await host.CoreV1.ListPersistentVolumeClaimForAllNamespacesAsync(labelSelector: Selector)).Items.Select(o => Line("persistentvolumeclaim", o)));
        found.AddRange((await host.CoreV1.ListServiceAccountForAllNamespacesAsync(labelSelector: Selector)).Items.Select(o => Line("serviceaccount", o)));
        found.AddRange((await host.CoreV1.ListPodForAllNamespacesAsync(labelSelector: Selector)).Items.Select(o => Line("pod", o)));
        found.AddRange((await host.AppsV1.ListDeploymentForAllNamespacesAsync(labelSelector: Selector)).Items.Select(o => Line("deployment", o)));
        found.AddRange((await host.AppsV1.ListReplicaSetForAllNamespacesAsync(labelSelector: Selector)).Items.Select(o => Line("replicaset", o)));
        found.AddRange((await host.RbacAuthorizationV1.ListClusterRoleBindingAsync(labelSelector: Selector)).Items.Select(o => Line("clusterrolebinding", o)));
        found.AddRange((await host.RbacAuthorizationV1.ListRoleBindingForAllNamespacesAsync(labelSelector: Selector)).Items.Select(o => Line("rolebinding", o)));
        found.AddRange((await host.ApiregistrationV1.ListAPIServiceAsync(labelSelector: Selector)).Items.Select(o => Line("apiservice", o)));
        found.Sort(StringComparer.Ordinal);
        return found;
    }

    /// <summary>The lines of one install (its namespace, and the cluster-scoped objects), without pods and ReplicaSets.</summary>
    public static List<string> Of(IEnumerable<string> inventory, string ns) =>
        inventory.Where(l => (l.Contains($" {ns}/", StringComparison.Ordinal) || l == $"namespace {ns}" || !l.Contains('/') || l.StartsWith("rolebinding kube-system/", StringComparison.Ordinal))
                             && !l.StartsWith("pod ", StringComparison.Ordinal) && !l.StartsWith("replicaset ", StringComparison.Ordinal)).ToList();

    /// <summary>The uid of each object of one install: the same uids after a re-run mean nothing was recreated.</summary>
    public static async Task<Dictionary<string, string>> UidsAsync(IKubernetes host, string ns)
    {
        var uids = new Dictionary<string, string>();
        void Add(string kind, IEnumerable<IKubernetesObject<V1ObjectMeta>> items)
        {
            foreach (var o in items) uids[Line(kind, o)] = o.Metadata.Uid;
        }
        Add("namespace", [await host.CoreV1.ReadNamespaceAsync(ns)]);
        Add("service", (await host.CoreV1.ListNamespacedServiceAsync(ns, labelSelector: Selector)).Items);
        Add("secret", (await host.CoreV1.ListNamespacedSecretAsync(ns, labelSelector: Selector)).Items);
        Add("persistentvolumeclaim", (await host.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns, labelSelector: Selector)).Items);
        Add("deployment", (await host.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: Selector)).Items);
        Add("serviceaccount", (await host.CoreV1.ListNamespacedServiceAccountAsync(ns, labelSelector: Selector)).Items);
        Add("apiservice", (await host.ApiregistrationV1.ListAPIServiceAsync(labelSelector: Selector)).Items);
        return uids;
    }

    private static string Line(string kind, IKubernetesObject<V1ObjectMeta> o) =>
        o.Metadata.NamespaceProperty is { } ns ? $"{kind} {ns}/{o.Metadata.Name}" : $"{kind} {o.Metadata.Name}";
}
