using System.Text.Json.Serialization;

namespace ClusterRegistry.Domain.Clusters;

/// <summary>The desired information about a cluster: how to reach its API server and authenticate to it.</summary>
public sealed class ClusterSpec
{
    public KubernetesApiEndpoints? KubernetesApiEndpoints { get; set; }
    public AuthInfo? AuthInfo { get; set; }
}

/// <summary>The endpoints of a cluster's Kubernetes API server.</summary>
public sealed class KubernetesApiEndpoints
{
    public List<ServerAddressByClientCidr>? ServerEndpoints { get; set; }
    public byte[]? CaBundle { get; set; }
}

/// <summary>The address a client should use when its own IP lies in <see cref="ClientCidr"/>.</summary>
public sealed class ServerAddressByClientCidr
{
    [JsonPropertyName("clientCIDR")]
    public string? ClientCidr { get; set; }
    public string? ServerAddress { get; set; }
}

/// <summary>Public, non-secret information on how to authenticate to the cluster.</summary>
public sealed class AuthInfo
{
    public List<AuthProviderConfig>? Providers { get; set; }
}

/// <summary>Configuration of one authentication provider.</summary>
public sealed class AuthProviderConfig
{
    public string? Name { get; set; }
    public AuthProviderType? Type { get; set; }
    public Dictionary<string, string>? Config { get; set; }
}

/// <summary>The type of an authentication provider.</summary>
public sealed class AuthProviderType
{
    public string? Name { get; set; }
}
