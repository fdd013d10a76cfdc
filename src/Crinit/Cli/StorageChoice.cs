namespace ClusterRegistry.Crinit.Cli;

/// <summary>Where the registry keeps its data.</summary>
public abstract record StorageChoice
{
    /// <summary>The embedded store (one SQLite file) on a PersistentVolumeClaim, or in the pod when not persistent.</summary>
    public sealed record Embedded(bool Persistent, string Capacity, string? StorageClass) : StorageChoice;

    /// <summary>An etcd cluster the user runs (crinit starts no etcd).</summary>
    public sealed record Etcd(IReadOnlyList<string> Servers) : StorageChoice;

    /// <summary>A PostgreSQL database; the connection string goes into the credentials Secret, not the Deployment.</summary>
    public sealed record Postgres(string ConnectionString) : StorageChoice;
}
