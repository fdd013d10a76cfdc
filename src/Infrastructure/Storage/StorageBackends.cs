using System.Runtime.CompilerServices;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Observability;
using ClusterRegistry.Infrastructure.Storage.Compaction;
using ClusterRegistry.Infrastructure.Storage.Embedded;
using ClusterRegistry.Infrastructure.Storage.Etcd;
using ClusterRegistry.Infrastructure.Storage.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ClusterRegistry.Infrastructure.Storage;

/// <summary>
/// The one place that knows the backends: opens the configured one, describes it for log lines, and picks its
/// compaction. Driver exceptions stay in here: a store that cannot be opened is an
/// <see cref="InvalidOperationException"/> whose message names the store and the cause.
/// </summary>
public static class StorageBackends
{
    /// <summary>Opens (and for PostgreSQL migrates) the configured store; the server opens it before it starts serving.</summary>
    public static async Task<IObjectStorage> OpenAsync(InfrastructureOptions options, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger("Storage");
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
        catch (Exception e) when (options.StorageBackend != "embedded" && IsDriverFailure(e))
        {
            // The driver's own message says neither which store nor, for a socket error, why.
            throw new InvalidOperationException($"storage {Describe(options)}: {ErrorText.Cause(e)}", e);
        }
    }

    /// <summary>
    /// A failure of a remote store's driver at start. Its own method, so the JIT loads Npgsql only when the filter runs
    /// for a remote backend: a test in the filter itself loaded it into every embedded-store process.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool IsDriverFailure(Exception e) => e is StorageException or NpgsqlException or TimeoutException;

    /// <summary>Applies the PostgreSQL schema migrations and nothing else (<c>clusterregistry migrate</c>).</summary>
    public static Task MigratePostgresAsync(string connectionString, CancellationToken ct) => PostgresStorage.MigrateAsync(connectionString, ct);

    /// <summary>
    /// The configured backend for log lines: kind and address, never credentials (URL user info, the connection
    /// string's password).
    /// </summary>
    public static string Describe(InfrastructureOptions options) => options.StorageBackend switch
    {
        "etcd3" => "etcd " + string.Join(",", options.EtcdServers.Select(s =>
            Uri.TryCreate(s, UriKind.Absolute, out var u) ? $"{u.Scheme}://{u.Authority}" : "(unparsable endpoint)")),
        "postgres" => DescribePostgres(options.PostgresConnectionString),
        _ => "embedded " + Path.Combine(options.DataDir, "registry.db"),
    };

    /// <summary>Where an opened store keeps its data, for the start-up log; null when it is a remote store.</summary>
    public static string? LocalDatabase(IObjectStorage storage) => (storage as EmbeddedStorage)?.DatabasePath;

    /// <summary>How <paramref name="storage"/> compacts its history; null for a store that keeps none.</summary>
    public static IHistoryCompaction? Compaction(IObjectStorage storage) => storage switch
    {
        EmbeddedStorage embedded => new SingleWriterCompaction("embedded", embedded, embedded.CompactAsync),
        EtcdStorage etcd => new EtcdCompaction(etcd),
        PostgresStorage postgres => new SingleWriterCompaction("PostgreSQL", postgres, postgres.CompactAsync),
        _ => null,
    };

    /// <summary>
    /// How failed requests are logged: the embedded store logs its own faults (each cause once until it recovers);
    /// remote stores through a <see cref="StorageFailureLog"/> naming them.
    /// </summary>
    internal static IStorageFailureLog FailureLog(IObjectStorage storage, InfrastructureOptions options, ILoggerFactory loggers) =>
        storage is EmbeddedStorage ? StorageFailureLog.None : new StorageFailureLog(Describe(options), loggers.CreateLogger("Storage"));

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
