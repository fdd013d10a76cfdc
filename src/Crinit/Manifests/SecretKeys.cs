namespace ClusterRegistry.Crinit.Manifests;

/// <summary>The keys of the credentials Secret, which become the file names under /etc/clusterregistry/apiserver.</summary>
public static class SecretKeys
{
    public const string Ca = "ca.crt";
    public const string ServerCertificate = "server.crt";
    public const string ServerKey = "server.key";
    public const string TokenCsv = "token.csv";
    public const string PostgresConnectionString = "postgres-connection-string";

    /// <summary>The CA Secret (type kubernetes.io/tls, never mounted): lets a re-run sign with the same CA.</summary>
    public const string CaCertificate = "tls.crt";
    public const string CaKey = "tls.key";
}
