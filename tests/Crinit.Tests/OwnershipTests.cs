using ClusterRegistry.Crinit.Host;
using ClusterRegistry.Crinit.Manifests;
using k8s.Models;

namespace ClusterRegistry.Tests.Crinit;

public sealed class OwnershipTests
{
    private static readonly Names Other = new("other", "team-b");

    private static V1ObjectMeta Marked(string? install) => new()
    {
        Annotations = install is null ? null : new Dictionary<string, string> { [Names.InstallAnnotation] = install },
    };

    [Fact]
    public void AnObjectIsOurs_WhenItNamesUs_OrNoOne()
    {
        Assert.True(Ownership.IsOurs(Marked("team-b/other"), Other));
        Assert.True(Ownership.IsOurs(Marked(null), Other));
        Assert.False(Ownership.IsOurs(Marked("clusterregistry/registry"), Other));
        Assert.False(Ownership.IsOurs(Marked("team-b/registry"), Other));
    }

    [Fact]
    public void TheRefusal_NamesTheOwner_AndBothFixes_InOneLine()
    {
        var e = Ownership.Refusal(
            [new("apiservice v1alpha1.clusterregistry.k8s.io", "the install clusterregistry/registry"),
             new("clusterrolebinding clusterregistry.k8s.io:apiserver-auth-delegator", "the install clusterregistry/registry")], Other);
        Assert.Equal(
            "apiservice v1alpha1.clusterregistry.k8s.io, clusterrolebinding clusterregistry.k8s.io:apiserver-auth-delegator belong to the install " +
            "clusterregistry/registry, not to team-b/other: a host cluster serves one aggregated registry (these names are fixed); remove that install " +
            "first (crinit aggregated delete registry --cluster-registry-namespace clusterregistry), or take them over with --force", e.Message);

        e = Ownership.Refusal([new("rolebinding kube-system/clusterregistry.k8s.io:extension-apiserver-authentication-reader", "no crinit install (it points at default/serviceaccount x)")], Other);
        Assert.EndsWith("remove it first (kubectl -n kube-system delete rolebinding clusterregistry.k8s.io:extension-apiserver-authentication-reader), or take it over with --force", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
