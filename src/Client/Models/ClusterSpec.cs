using System.Text.Json.Serialization;

namespace ClusterRegistry.Client.Models;

/// <summary>The desired information about a cluster: how to reach its API server and authenticate to it.</summary>
public sealed class ClusterSpec
{
    /// <summary>The endpoints of the cluster's API server.</summary>
    [JsonPropertyName("kubernetesApiEndpoints")]
    public KubernetesApiEndpoints? KubernetesApiEndpoints { get; set; }

    /// <summary>Public (never secret) information on how to get credentials for the cluster.</summary>
    [JsonPropertyName("authInfo")]
    public AuthInfo? AuthInfo { get; set; }
}

/// <summary>The endpoints of one Kubernetes API server.</summary>
public sealed class KubernetesApiEndpoints
{
    /// <summary>Addresses by client CIDR; a client uses the endpoint whose CIDR contains its address (a map keyed by clientCIDR).</summary>
    [JsonPropertyName("serverEndpoints")]
    public IList<ServerAddressByClientCidr>? ServerEndpoints { get; set; }

    /// <summary>PEM-encoded CA certificates of the API server (base64 on the wire).</summary>
    [JsonPropertyName("caBundle")]
    public byte[]? CaBundle { get; set; }
}

/// <summary>The address a client should use when its own IP lies in <see cref="ClientCidr"/>.</summary>
public sealed class ServerAddressByClientCidr
{
    /// <summary>A CIDR such as <c>0.0.0.0/0</c> or <c>10.0.0.0/8</c>.</summary>
    [JsonPropertyName("clientCIDR")]
    public string? ClientCidr { get; set; }

    /// <summary>A host, host:port, IP, IP:port or https URL (required).</summary>
    [JsonPropertyName("serverAddress")]
    public string? ServerAddress { get; set; }
}

/// <summary>Public information that describes how a client can get credentials for the cluster.</summary>
public sealed class AuthInfo
{
    /// <summary>Authentication provider configurations (a map keyed by name).</summary>
    [JsonPropertyName("providers")]
    public IList<AuthProviderConfig>? Providers { get; set; }
}

/// <summary>One authentication provider, modelled after client-go's AuthProviderConfig.</summary>
public sealed class AuthProviderConfig
{
    /// <summary>The name of this configuration.</summary>
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    /// <summary>What kind of provider it is.</summary>
    [JsonPropertyName("type")]
    public AuthProviderType? Type { get; set; }

    /// <summary>Provider settings (public values only: the registry stores no secrets).</summary>
    [JsonPropertyName("config")]
    public IDictionary<string, string>? Config { get; set; }
}

/// <summary>The type of an authentication provider.</summary>
public sealed class AuthProviderType
{
    /// <summary>The auth provider's name, e.g. <c>oidc</c>.</summary>
    [JsonPropertyName("name")]
    public string? Name { get; set; }
}
