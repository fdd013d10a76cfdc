using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Observability;
using ClusterRegistry.Infrastructure.Storage.Embedded;
using ClusterRegistry.Infrastructure.Storage.Etcd;
using ClusterRegistry.Infrastructure.Storage.Postgres;
using Npgsql;
using Serilog;

namespace ClusterRegistry.Api.Hosting;

/// <summary>Opens the configured storage backend before the server starts.</summary>
public static class StorageFactory
{
    public static async Task<IObjectStorage> OpenAsync(ServerOptions options, CancellationToken ct)
    {
        var logger = new Serilog.Extensions.Logging.SerilogLoggerFactory(Log.Logger).CreateLogger("Storage");
        try
        {
            switch (options.StorageBackend)
            {
                case "etcd3":
                    var etcd = new EtcdStorage(new EtcdOptions
                    {
                        Servers = options.EtcdServers.ToList(),
                        Prefix = options.EtcdPrefix,
                        CaFile = options.EtcdCaFile,
                        CertFile = options.EtcdCertFile,
                        KeyFile = options.EtcdKeyFile,
                        CompactionInterval = options.CompactionInterval,
                    });
                    // Fail at start, not at the first request, when etcd cannot be reached.
                    await etcd.CurrentRevisionAsync(ct);
                    return etcd;
                case "postgres":
                    return await PostgresStorage.OpenAsync(options.PostgresConnectionString!, logger, migrate: true, ct);
                default:
                    // The embedded store's refusals already name the file and the cause.
                    return await EmbeddedStorage.OpenAsync(options.DataDir, logger, ct);
            }
        }
        catch (Exception e) when (options.StorageBackend != "embedded" && e is StorageException or NpgsqlException or TimeoutException)
        {
            // The driver's own message says neither which store nor, for a socket error, why.
            throw new InvalidOperationException($"storage {Describe(options)}: {ErrorText.Cause(e)}", e);
        }
    }

    /// <summary>
    /// The configured backend for log lines: kind and address, never credentials (URL user info, the connection
    /// string's password).
    /// </summary>
    public static string Describe(ServerOptions options) => options.StorageBackend switch
    {
        "etcd3" => "etcd " + string.Join(",", options.EtcdServers.Select(s =>
            Uri.TryCreate(s, UriKind.Absolute, out var u) ? $"{u.Scheme}://{u.Authority}" : "(unparsable endpoint)")),
        "postgres" => DescribePostgres(options.PostgresConnectionString),
        _ => "embedded " + Path.Combine(options.DataDir, "registry.db"),
    };

    private static string DescribePostgres(string? connectionString)
    {
        try
        {
            var cs = new NpgsqlConnectionStringBuilder(connectionString);
            return $"PostgreSQL {cs.Host}:{cs.Port}/{cs.Database}";
        }
        catch (ArgumentException)
        {
            return "PostgreSQL";
        }
    }
}
