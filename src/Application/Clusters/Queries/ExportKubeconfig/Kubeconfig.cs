using System.ComponentModel;
using System.Text.Json.Serialization;

namespace ClusterRegistry.Application.Clusters.Queries.ExportKubeconfig;

// The wire shape of client-go's clientcmd/api/v1 Config, limited to the fields the export fills. The names are
// kubeconfig's own (kebab-case), not the API's camelCase, because kubectl reads the document as a kubeconfig file.
// The type names start with "Kubeconfig" so they do not clash with the domain's Cluster and AuthInfo; the OpenAPI
// definitions drop that prefix (io.k8s.client-go.tools.clientcmd.api.v1.Config, .NamedCluster…).

[Description("Config holds the information needed to build connections to remote kubernetes clusters as a given user (client-go clientcmd v1). Exported by the registry: it never contains credentials.")]
public sealed class Kubeconfig
{
    [Description("Always \"v1\".")]
    public string ApiVersion { get; set; } = "v1";
    [Description("Always \"Config\".")]
    public string Kind { get; set; } = "Config";
    [Description("Clusters is a map of referenceable names to cluster configs.")]
    public List<KubeconfigNamedCluster> Clusters { get; set; } = [];
    [Description("AuthInfos is a map of referenceable names to user configs.")]
    public List<KubeconfigNamedAuthInfo> Users { get; set; } = [];
    [Description("Contexts is a map of referenceable names to context configs.")]
    public List<KubeconfigNamedContext> Contexts { get; set; } = [];
    [JsonPropertyName("current-context")]
    [Description("CurrentContext is the name of the context to use by default; set when one cluster is exported.")]
    public string? CurrentContext { get; set; }
}

[Description("NamedCluster relates nicknames to cluster information.")]
public sealed class KubeconfigNamedCluster
{
    [Description("Name is the nickname for this Cluster: the registry's cluster name.")]
    public string Name { get; set; } = "";
    [Description("Cluster holds the cluster information.")]
    public KubeconfigCluster Cluster { get; set; } = new();
}

[Description("Cluster contains information about how to communicate with a kubernetes cluster.")]
public sealed class KubeconfigCluster
{
    [Description("Server is the address of the kubernetes cluster (https://hostname:port), chosen by the caller's address.")]
    public string Server { get; set; } = "";
    [JsonPropertyName("certificate-authority-data")]
    [Description("CertificateAuthorityData contains PEM-encoded certificate authority certificates: the cluster's caBundle.")]
    public byte[]? CertificateAuthorityData { get; set; }
}

[Description("NamedAuthInfo relates nicknames to auth information.")]
public sealed class KubeconfigNamedAuthInfo
{
    [Description("Name is the nickname for this AuthInfo.")]
    public string Name { get; set; } = "";
    [Description("AuthInfo holds the auth information; empty when the cluster names no auth provider.")]
    public KubeconfigAuthInfo User { get; set; } = new();
}

[Description("AuthInfo contains information that describes identity information: only an auth provider, never credentials.")]
public sealed class KubeconfigAuthInfo
{
    [JsonPropertyName("auth-provider")]
    [Description("AuthProvider specifies a custom authentication plugin for the kubernetes cluster.")]
    public KubeconfigAuthProviderConfig? AuthProvider { get; set; }
}

[Description("AuthProviderConfig holds the configuration for a specified auth provider.")]
public sealed class KubeconfigAuthProviderConfig
{
    [Description("Name is the auth provider plugin (the registry's authInfo provider type name).")]
    public string Name { get; set; } = "";
    [Description("Config holds the provider's public configuration; keys that look like credentials are left out.")]
    public Dictionary<string, string>? Config { get; set; }
}

[Description("NamedContext relates nicknames to context information.")]
public sealed class KubeconfigNamedContext
{
    [Description("Name is the nickname for this Context: the registry's cluster name.")]
    public string Name { get; set; } = "";
    [Description("Context holds the context information.")]
    public KubeconfigContext Context { get; set; } = new();
}

[Description("Context is a tuple of references to a cluster (how do I communicate with a kubernetes cluster) and a user (how do I identify myself).")]
public sealed class KubeconfigContext
{
    [Description("Cluster is the name of the cluster for this context.")]
    public string Cluster { get; set; } = "";
    [Description("AuthInfo is the name of the authInfo for this context.")]
    public string User { get; set; } = "";
}
