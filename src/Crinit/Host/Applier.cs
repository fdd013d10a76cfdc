using k8s;
using k8s.Models;

namespace ClusterRegistry.Crinit.Host;

/// <summary>
/// Create-or-update by server-side apply (field manager "crinit", forced): a second init converges instead of
/// failing on AlreadyExists, and fields the host set (a Service's clusterIP and nodePort, defaults) are kept.
/// Objects an original crinit made are taken over (force).
/// </summary>
public static class Applier
{
    public const string FieldManager = "crinit";

    /// <summary>Applies <paramref name="obj"/>; returns "created", "configured" or "unchanged" (the same resourceVersion as before).</summary>
    public static async Task<string> ApplyAsync(HostCluster host, IKubernetesObject<V1ObjectMeta> obj, CancellationToken ct)
    {
        var name = obj.Metadata.Name;
        var ns = obj.Metadata.NamespaceProperty;
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
            V1APIService => Meta(c.ApiregistrationV1.PatchAPIServiceAsync(patch, name, fieldManager: FieldManager, force: true, cancellationToken: ct)),
            _ => throw new NotSupportedException($"crinit does not apply {obj.Kind}"),
        });
        if (before is null) return "created";
        return before == result.ResourceVersion ? "unchanged" : "configured";
    }

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
                V1APIService => Meta(c.ApiregistrationV1.ReadAPIServiceAsync(name, cancellationToken: ct)),
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
