using k8s;
using k8s.Models;

namespace ClusterRegistry.Crinit.Host;

/// <summary>
/// Create-or-update by server-side apply (field manager "crinit", forced): a second init converges instead of
/// failing on AlreadyExists, and fields the host set (a Service's clusterIP and nodePort, defaults) are kept.
/// Objects an original crinit made are taken over (force). APIServices are the exception (see CreateOrReplaceAsync).
/// </summary>
public static class Applier
{
    public const string FieldManager = "crinit";

    /// <summary>Applies <paramref name="obj"/>; returns "created", "configured" or "unchanged" (the same resourceVersion as before).</summary>
    public static async Task<string> ApplyAsync(HostCluster host, IKubernetesObject<V1ObjectMeta> obj, CancellationToken ct)
    {
        var name = obj.Metadata.Name;
        var ns = obj.Metadata.NamespaceProperty;
        if (obj is V1APIService apiService) return await CreateOrReplaceAsync(host, apiService, ct);
        var before = await ResourceVersionAsync(host, obj, ct);
        var patch = new V1Patch(obj, V1Patch.PatchType.ApplyPatch);
        var result = await host.CallAsync($"apply {Describe(obj)}", c => obj switch
        {
            V1Namespace => Meta(c.CoreV1.PatchNamespaceAsync(patch, name, fieldManager: FieldManager, force: true, cancellationToken: ct)),
            V1Service => Meta(c.CoreV1.PatchNamespacedServiceAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: ct)),
            V1Secret => Meta(c.CoreV1.PatchNamespacedSecretAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: ct)),
            V1PersistentVolumeClaim => Meta(c.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: ct)),
            V1ServiceAccount => Meta(c.CoreV1.PatchNamespacedServiceAccountAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: ct)),
            V1ClusterRoleBinding => Meta(c.RbacAuthorizationV1.PatchClusterRoleBindingAsync(patch, name, fieldManager: FieldManager, force: true, cancellationToken: ct)),
            V1RoleBinding => Meta(c.RbacAuthorizationV1.PatchNamespacedRoleBindingAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: ct)),
            V1Deployment => Meta(c.AppsV1.PatchNamespacedDeploymentAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: ct)),
            _ => throw new NotSupportedException($"crinit does not apply {obj.Kind}"),
        });
        if (before is null) return "created";
        return before == result.ResourceVersion ? "unchanged" : "configured";
    }

    /// <summary>
    /// kube-aggregator before 1.21 panics on a server-side apply of an APIService ("FieldManager must be installed
    /// to run apply"; the host resets the stream), so APIServices are created, or replaced when they differ. Their
    /// spec holds nothing the host allocates, so a replace loses nothing.
    /// </summary>
    private static async Task<string> CreateOrReplaceAsync(HostCluster host, V1APIService desired, CancellationToken ct)
    {
        var name = desired.Metadata.Name;
        var existing = await host.ReadOrNullAsync($"read {Describe(desired)}", c => c.ApiregistrationV1.ReadAPIServiceAsync(name, cancellationToken: ct));
        if (existing is null)
        {
            await host.CallAsync($"create {Describe(desired)}", c => c.ApiregistrationV1.CreateAPIServiceAsync(desired, fieldManager: FieldManager, cancellationToken: ct));
            return "created";
        }
        var labels = new Dictionary<string, string>(existing.Metadata.Labels ?? new Dictionary<string, string>());
        var annotations = new Dictionary<string, string>(existing.Metadata.Annotations ?? new Dictionary<string, string>());
        var marked = Contains(labels, desired.Metadata.Labels) && Contains(annotations, desired.Metadata.Annotations);
        if (marked && KubernetesJson.Serialize(existing.Spec) == KubernetesJson.Serialize(desired.Spec)) return "unchanged";
        foreach (var (key, value) in desired.Metadata.Labels) labels[key] = value;
        foreach (var (key, value) in desired.Metadata.Annotations ?? new Dictionary<string, string>()) annotations[key] = value;
        existing.Metadata.Labels = labels;
        existing.Metadata.Annotations = annotations;
        existing.Spec = desired.Spec;
        await host.CallAsync($"replace {Describe(desired)}", c => c.ApiregistrationV1.ReplaceAPIServiceAsync(existing, name, fieldManager: FieldManager, cancellationToken: ct));
        return "configured";
    }

    private static bool Contains(Dictionary<string, string> actual, IDictionary<string, string>? wanted) =>
        (wanted ?? new Dictionary<string, string>()).All(w => actual.TryGetValue(w.Key, out var v) && v == w.Value);

    public static string Describe(IKubernetesObject<V1ObjectMeta> obj) =>
        obj.Metadata.NamespaceProperty is { } ns ? $"{obj.Kind.ToLowerInvariant()} {ns}/{obj.Metadata.Name}" : $"{obj.Kind.ToLowerInvariant()} {obj.Metadata.Name}";

    /// <summary>The object's current resourceVersion, or null when it does not exist yet.</summary>
    private static async Task<string?> ResourceVersionAsync(HostCluster host, IKubernetesObject<V1ObjectMeta> obj, CancellationToken ct)
    {
        var name = obj.Metadata.Name;
        var ns = obj.Metadata.NamespaceProperty;
        try
        {
            var meta = await host.CallAsync($"read {Describe(obj)}", c => obj switch
            {
                V1Namespace => Meta(c.CoreV1.ReadNamespaceAsync(name, cancellationToken: ct)),
                V1Service => Meta(c.CoreV1.ReadNamespacedServiceAsync(name, ns, cancellationToken: ct)),
                V1Secret => Meta(c.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: ct)),
                V1PersistentVolumeClaim => Meta(c.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(name, ns, cancellationToken: ct)),
                V1ServiceAccount => Meta(c.CoreV1.ReadNamespacedServiceAccountAsync(name, ns, cancellationToken: ct)),
                V1ClusterRoleBinding => Meta(c.RbacAuthorizationV1.ReadClusterRoleBindingAsync(name, cancellationToken: ct)),
                V1RoleBinding => Meta(c.RbacAuthorizationV1.ReadNamespacedRoleBindingAsync(name, ns, cancellationToken: ct)),
                V1Deployment => Meta(c.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: ct)),
                _ => throw new NotSupportedException($"crinit does not apply {obj.Kind}"),
            });
            return meta.ResourceVersion;
        }
        catch (Cli.CrinitException e) when (e.InnerException is { } inner && HostErrors.IsNotFound(inner))
        {
            return null;
        }
    }

    private static async Task<V1ObjectMeta> Meta<T>(Task<T> call) where T : IKubernetesObject<V1ObjectMeta> => (await call).Metadata;
}
