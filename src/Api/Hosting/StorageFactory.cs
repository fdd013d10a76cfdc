using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Embedded;
using ClusterRegistry.Infrastructure.Storage.Etcd;
using ClusterRegistry.Infrastructure.Storage.Postgres;
using Serilog;

namespace ClusterRegistry.Api.Hosting;

/// <summary>Opens the configured storage backend before the server starts.</summary>
public static class StorageFactory
{
    public static async Task<IObjectStorage> OpenAsync(ServerOptions options, CancellationToken ct)
    {
        var logger = new Serilog.Extensions.Logging.SerilogLoggerFactory(Log.Logger).CreateLogger("Storage");
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
                return await EmbeddedStorage.OpenAsync(options.DataDir, logger, ct);
        }
    }
}
