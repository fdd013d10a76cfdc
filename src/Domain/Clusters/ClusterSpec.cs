using System.ComponentModel;
using System.Text.Json.Serialization;
using ClusterRegistry.Domain.Schema;

namespace ClusterRegistry.Domain.Clusters;

/// <summary>The desired information about a cluster: how to reach its API server and authenticate to it.</summary>
[Description("ClusterSpec contains the spec of the cluster.")]
public sealed class ClusterSpec
{
    [Description("KubernetesAPIEndpoints represents the endpoints of the API server for this cluster.")]
    public KubernetesApiEndpoints? KubernetesApiEndpoints { get; set; }
    [Description("AuthInfo contains public information that can be used to authenticate to and authorize with this cluster. It is not meant to store private information (e.g., tokens or client certificates) and cluster registry implementations are not expected to provide hardened storage for secrets.")]
    public AuthInfo? AuthInfo { get; set; }
}

/// <summary>The endpoints of a cluster's Kubernetes API server.</summary>
[Description("KubernetesAPIEndpoints represents the endpoints for one and only one Kubernetes API server.")]
public sealed class KubernetesApiEndpoints
{
    [Description("ServerEndpoints specifies the address(es) of the Kubernetes API server's network identity or identities. A client uses the endpoint whose clientCIDR contains its own IP address.")]
    [ListMapKeys("clientCIDR")]
    public List<ServerAddressByClientCidr>? ServerEndpoints { get; set; }
    [Description("CABundle contains the certificate authority information: one or more PEM-encoded certificates of the cluster's API server CA.")]
    public byte[]? CaBundle { get; set; }
}

/// <summary>The address a client should use when its own IP lies in <see cref="ClientCidr"/>.</summary>
[Description("ServerAddressByClientCIDR helps clients determine the server address that they should use, depending on the clientCIDR that they match.")]
public sealed class ServerAddressByClientCidr
{
    [JsonPropertyName("clientCIDR")]
    [Description("The CIDR with which clients can match their IP to figure out if they should use the corresponding server address, e.g. \"0.0.0.0/0\", \"10.0.0.0/8\" or \"::/0\".")]
    [SchemaFormat("cidr")]
    public string? ClientCidr { get; set; }
    [Description("Address of this server, suitable for a client that matches the above CIDR. This can be a hostname, hostname:port, IP or IP:port, or an https URL.")]
    [SchemaRequired]
    public string? ServerAddress { get; set; }
}

/// <summary>Public, non-secret information on how to authenticate to the cluster.</summary>
[Description("AuthInfo holds public information that describes how a client can get credentials to access the cluster.")]
public sealed class AuthInfo
{
    [Description("Providers is a list of configurations for authentication providers.")]
    [ListMapKeys("name")]
    public List<AuthProviderConfig>? Providers { get; set; }
}

/// <summary>Configuration of one authentication provider.</summary>
[Description("AuthProviderConfig contains the information necessary for a client to authenticate to a Kubernetes API server. It is modeled after k8s.io/client-go/tools/clientcmd/api/v1.AuthProviderConfig.")]
public sealed class AuthProviderConfig
{
    [Description("Name is the name of this configuration.")]
    public string? Name { get; set; }
    [Description("Type contains type information about this auth provider. Clients of the cluster registry should use this field to differentiate between different kinds of authentication providers.")]
    public AuthProviderType? Type { get; set; }
    [Description("Config is a map of values that contains the information necessary for a client to determine how to authenticate to a Kubernetes API server.")]
    public Dictionary<string, string>? Config { get; set; }
}

/// <summary>The type of an authentication provider.</summary>
[Description("AuthProviderType contains metadata about the auth provider.")]
public sealed class AuthProviderType
{
    [Description("Name is the name of the auth provider.")]
    public string? Name { get; set; }
}
