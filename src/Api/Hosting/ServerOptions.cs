namespace ClusterRegistry.Api.Hosting;

/// <summary>The settings of <c>clusterregistry standalone</c>, from its command line.</summary>
public sealed record ServerOptions
{
    public int SecurePort { get; init; } = 6443;
    public string BindAddress { get; init; } = "127.0.0.1";
    public string DataDir { get; init; } = DefaultDataDir();
    public string? CertDir { get; init; }
    public string? TlsCertFile { get; init; }
    public string? TlsPrivateKeyFile { get; init; }
    public string? TokenAuthFile { get; init; }
    public string StorageBackend { get; init; } = "embedded";
    public TimeSpan CompactionInterval { get; init; } = TimeSpan.FromMinutes(5);
    public TimeSpan WatchBookmarkInterval { get; init; } = TimeSpan.FromSeconds(30);

    public string EffectiveCertDir => CertDir ?? Path.Combine(DataDir, "certs");

    public static string DefaultDataDir() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".clusterregistry");
}
