using ClusterRegistry.Infrastructure.Storage.Caching;

namespace ClusterRegistry.Infrastructure;

/// <summary>Which store to open and how to run it: the storage flags of <c>clusterregistry standalone</c> and <c>aggregated</c>.</summary>
public sealed record InfrastructureOptions
{
    /// <summary><c>embedded</c>, <c>etcd3</c> or <c>postgres</c>.</summary>
    public string StorageBackend { get; init; } = "embedded";

    /// <summary>Where the embedded store keeps its database.</summary>
    public string DataDir { get; init; } = "";

    public string? PostgresConnectionString { get; init; }
    public IReadOnlyList<string> EtcdServers { get; init; } = [];
    public string EtcdPrefix { get; init; } = "/registry/clusterregistry.kubernetes.io";
    public string? EtcdCaFile { get; init; }
    public string? EtcdCertFile { get; init; }
    public string? EtcdKeyFile { get; init; }

    /// <summary>How often history older than one interval is pruned; zero or less: never.</summary>
    public TimeSpan CompactionInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The watch cache in front of the store; null: every request reads the store.</summary>
    public WatchCacheOptions? WatchCache { get; init; } = new();

    /// <summary>The opt-in health prober; off unless address ranges are allowed.</summary>
    public HealthProbing.HealthProbeOptions HealthProbing { get; init; } = new();
}
