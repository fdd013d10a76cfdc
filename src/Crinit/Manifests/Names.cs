namespace ClusterRegistry.Crinit.Manifests;

/// <summary>
/// The names the original crinit gave its objects (pkg/crinit/common), kept so an install made by it is found and
/// replaced by ours, plus the CA Secret, which the original did not keep.
/// </summary>
public sealed record Names(string Instance, string Namespace)
{
    public const string Group = "clusterregistry.k8s.io";
    public const string Version = "v1alpha1";
    public const string AppLabel = "clusterregistry";
    public const string ModuleLabel = "clusterregistry-apiserver";
    public const string ServiceAccount = "clusterregistry-k8s-io-apiserver";
    public const string AuthDelegatorBinding = "clusterregistry.k8s.io:apiserver-auth-delegator";
    public const string AuthReaderBinding = "clusterregistry.k8s.io:extension-apiserver-authentication-reader";
    public const string ApiService = Version + "." + Group;
    public const string CredentialsMountPath = "/etc/clusterregistry/apiserver";
    public const string DataMountPath = "/var/lib/clusterregistry";
    public const int ContainerPort = 8443;
    public const int ServicePort = 443;

    /// <summary>
    /// The annotation naming the install (NAMESPACE/NAME) each object belongs to. The cluster-wide objects of an
    /// aggregated install have fixed names, so it is what tells one install's APIService from another's.
    /// </summary>
    public const string InstallAnnotation = "clusterregistry.k8s.io/install";

    /// <summary>This install, as the <see cref="InstallAnnotation"/> names it.</summary>
    public string Install => $"{Namespace}/{Instance}";

    public IDictionary<string, string> Annotations => new Dictionary<string, string> { [InstallAnnotation] = Install };

    public string Service => Instance;
    public string CredentialsSecret => Instance + "-apiserver-credentials";
    public string CaSecret => Instance + "-apiserver-ca";
    public string Claim => Instance + "-etcd-claim";
    public string Deployment => Instance + "-apiserver";

    /// <summary>The DNS names the serving certificate carries: the aggregator dials NAME.NS.svc.</summary>
    public IReadOnlyList<string> ServiceDnsNames =>
        [Instance, $"{Instance}.{Namespace}", $"{Instance}.{Namespace}.svc", $"{Instance}.{Namespace}.svc.cluster.local"];

    public static IDictionary<string, string> Labels => new Dictionary<string, string> { ["app"] = AppLabel };

    public static IDictionary<string, string> PodLabels =>
        new Dictionary<string, string> { ["app"] = AppLabel, ["module"] = ModuleLabel };

    public static string PodSelector => $"app={AppLabel},module={ModuleLabel}";
}
