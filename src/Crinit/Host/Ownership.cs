using ClusterRegistry.Crinit.Cli;
using ClusterRegistry.Crinit.Manifests;
using k8s;
using k8s.Models;

namespace ClusterRegistry.Crinit.Host;

/// <summary>
/// Which install an object belongs to. The APIService and the two RBAC bindings of an aggregated install have fixed
/// names, so a second install (another NAME or namespace) would take over the first's APIService, and its delete
/// would remove the first's objects. Every object crinit makes carries <see cref="Names.InstallAnnotation"/>;
/// one without it (made by the original crinit, or by an earlier crinit) belongs to the install it points at:
/// the APIService's Service, the bindings' ServiceAccount namespace. See ADR-011.
/// </summary>
public static class Ownership
{
    /// <summary>One of the install's objects as it stands on the host, and whose it is (null owner: ours).</summary>
    public sealed record Claim(string What, string? Owner);

    /// <summary>The install <paramref name="meta"/> belongs to, or null when crinit did not mark it.</summary>
    public static string? MarkedOwner(V1ObjectMeta meta) =>
        meta.Annotations?.TryGetValue(Names.InstallAnnotation, out var owner) == true ? owner : null;

    /// <summary>Whether an object crinit labelled is this install's (unmarked ones are taken as ours: an earlier crinit's).</summary>
    public static bool IsOurs(V1ObjectMeta meta, Names names) => MarkedOwner(meta) is not { } owner || owner == names.Install;

    /// <summary>The cluster-wide objects of an aggregated install that exist and belong to another install.</summary>
    public static async Task<IReadOnlyList<Claim>> ForeignSharedObjectsAsync(HostCluster host, Names names, CancellationToken ct)
    {
        var foreign = new List<Claim>();
        var api = await host.ReadOrNullAsync($"read apiservice {Names.ApiService}", c => c.ApiregistrationV1.ReadAPIServiceAsync(Names.ApiService, cancellationToken: ct));
        if (api is not null && OwnerOf(api.Metadata, names, api.Spec?.Service is { } s ? $"{s.NamespaceProperty}/{s.Name}" : "no service") is { } apiOwner)
            foreign.Add(new Claim($"apiservice {Names.ApiService}", apiOwner));
        var delegator = await host.ReadOrNullAsync($"read clusterrolebinding {Names.AuthDelegatorBinding}",
            c => c.RbacAuthorizationV1.ReadClusterRoleBindingAsync(Names.AuthDelegatorBinding, cancellationToken: ct));
        if (delegator is not null && OwnerOf(delegator.Metadata, names, Subject(delegator.Subjects)) is { } delegatorOwner)
            foreign.Add(new Claim($"clusterrolebinding {Names.AuthDelegatorBinding}", delegatorOwner));
        var reader = await host.ReadOrNullAsync($"read rolebinding kube-system/{Names.AuthReaderBinding}",
            c => c.RbacAuthorizationV1.ReadNamespacedRoleBindingAsync(Names.AuthReaderBinding, "kube-system", cancellationToken: ct));
        if (reader is not null && OwnerOf(reader.Metadata, names, Subject(reader.Subjects)) is { } readerOwner)
            foreign.Add(new Claim($"rolebinding kube-system/{Names.AuthReaderBinding}", readerOwner));
        return foreign;

        string Subject(IList<Rbacv1Subject>? subjects) =>
            subjects?.FirstOrDefault(x => x.Kind == "ServiceAccount") is { } sa ? $"{sa.NamespaceProperty}/serviceaccount {sa.Name}" : "no ServiceAccount";
    }

    /// <summary>
    /// Null when the object is this install's; else who it belongs to, for the message. An unmarked object is ours
    /// when it points into our namespace (<paramref name="pointsAt"/> starts with it).
    /// </summary>
    private static string? OwnerOf(V1ObjectMeta meta, Names names, string pointsAt)
    {
        if (MarkedOwner(meta) is { } owner) return owner == names.Install ? null : $"the install {owner}";
        return pointsAt.StartsWith(names.Namespace + "/", StringComparison.Ordinal) ? null : $"no crinit install (it points at {pointsAt})";
    }

    private static string KubectlDelete(string what) => what.Split(' ', 2) is [var kind, var name] && name.Split('/') is [var ns, var local]
        ? $"kubectl -n {ns} delete {kind} {local}"
        : $"kubectl delete {what}";

    /// <summary>The one-line refusal of an init that would take over <paramref name="foreign"/>.</summary>
    public static CrinitException Refusal(IReadOnlyList<Claim> foreign, Names names)
    {
        var owner = foreign[0].Owner!;
        var what = string.Join(", ", foreign.Select(f => f.What));
        var fix = owner.StartsWith("the install ", StringComparison.Ordinal) && owner["the install ".Length..].Split('/') is [var ns, var name]
            ? $"remove that install first (crinit aggregated delete {name} --cluster-registry-namespace {ns})"
            : $"remove {(foreign.Count == 1 ? "it" : "them")} first ({string.Join("; ", foreign.Select(f => KubectlDelete(f.What)))})";
        return new CrinitException(
            $"{what} {(foreign.Count == 1 ? "belongs" : "belong")} to {owner}, not to {names.Install}: a host cluster serves one aggregated registry " +
            $"(these names are fixed); {fix}, or take {(foreign.Count == 1 ? "it" : "them")} over with --force");
    }
}
