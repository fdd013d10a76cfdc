namespace ClusterRegistry.Crinit.Cli;

/// <summary>What <c>crinit standalone|aggregated init</c> was asked to install.</summary>
public sealed record InitOptions
{
    public required HostOptions Host { get; init; }
    public required string Image { get; init; }
    public string ImagePullPolicy { get; init; } = "IfNotPresent";
    public string ServiceType { get; init; } = "LoadBalancer";
    public System.Net.IPAddress? AdvertiseAddress { get; init; }
    public int NodePort { get; init; }
    public required StorageChoice Storage { get; init; }
    public IReadOnlyDictionary<string, string> ArgOverrides { get; init; } = new Dictionary<string, string>();
    public bool EnableTokenAuth { get; init; }

    /// <summary>With --dry-run: yaml or json.</summary>
    public string Output { get; init; } = "yaml";
}
