using ClusterRegistry.Crinit.Cli;

namespace ClusterRegistry.Crinit.Manifests;

/// <summary>
/// The server's command line in the Deployment: defaults keyed by flag (as the original's map), replaced or extended
/// by --apiserver-arg-overrides, then sorted so the same options always give the same Deployment.
/// </summary>
public static class ServerArguments
{
    public const string Executable = "/app/clusterregistry";
    public const string PostgresVariable = "POSTGRES_CONNECTION_STRING";

    public static IReadOnlyList<string> For(InitOptions options, Endpoint endpoint)
    {
        var mount = Names.CredentialsMountPath;
        var args = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["--bind-address"] = "0.0.0.0",
            ["--secure-port"] = Names.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["--data-dir"] = Names.DataMountPath,
            ["--tls-cert-file"] = $"{mount}/{SecretKeys.ServerCertificate}",
            ["--tls-private-key-file"] = $"{mount}/{SecretKeys.ServerKey}",
        };
        if (options.Host.Mode == Mode.Standalone)
        {
            // The admin client certificate of the kubeconfig entry is signed by this CA. Aggregated servers take the
            // host's client CA from its extension-apiserver-authentication ConfigMap, which this flag would replace.
            args["--client-ca-file"] = $"{mount}/{SecretKeys.Ca}";
            // The original left anonymous access and AlwaysAllow on. Here only system:masters (the admin
            // certificate and token crinit issues) is allowed; other identities need a webhook authorizer.
            args["--anonymous-auth"] = "false";
            args["--authorization-mode"] = "AlwaysDeny";
            if (options.EnableTokenAuth) args["--token-auth-file"] = $"{mount}/{SecretKeys.TokenCsv}";
        }
        if (endpoint.Addresses.Count > 0) args["--advertise-address"] = endpoint.Addresses[0].ToString();
        switch (options.Storage)
        {
            case StorageChoice.Embedded:
                args["--storage-backend"] = "embedded";
                break;
            case StorageChoice.Etcd etcd:
                args["--storage-backend"] = "etcd3";
                args["--etcd-servers"] = string.Join(',', etcd.Servers);
                break;
            case StorageChoice.Postgres:
                args["--storage-backend"] = "postgres";
                // Expanded by the kubelet from the env var, which comes from the Secret: no password in the Deployment.
                args["--postgres-connection-string"] = $"$({PostgresVariable})";
                break;
        }
        foreach (var (flag, value) in options.ArgOverrides) args[flag] = value;
        return args.Select(a => $"{a.Key}={a.Value}").ToList();
    }

    /// <summary>
    /// Parses the original's "--arg1=v1,--arg2=v2": split on commas, then on the first '='; keys keep their dashes
    /// (the original silently ignored keys without them, so here they are an error).
    /// </summary>
    public static IReadOnlyDictionary<string, string> ParseOverrides(string? text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text)) return result;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var key = (eq < 0 ? part : part[..eq]).Trim();
            var value = eq < 0 ? "" : part[(eq + 1)..].Trim();
            if (key.Length == 0) throw new ArgumentException($"--apiserver-arg-overrides: \"{part}\" has no flag name");
            if (!key.StartsWith("--", StringComparison.Ordinal) || key.Length == 2)
                throw new ArgumentException($"--apiserver-arg-overrides: \"{key}\" must be a flag with its dashes, e.g. --audit-log-path=/var/log/audit.log");
            result[key] = value;
        }
        return result;
    }
}
