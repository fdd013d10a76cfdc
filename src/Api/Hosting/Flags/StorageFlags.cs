using System.CommandLine;
using ClusterRegistry.Infrastructure.Storage.Caching;

namespace ClusterRegistry.Api.Hosting.Flags;

/// <summary>Which store holds the clusters, and how its history and the watch cache are kept.</summary>
public sealed class StorageFlags : IFlagGroup
{
    private readonly Option<string> _backend = new("--storage-backend")
    {
        Description = "embedded (default), etcd3 or postgres.",
        DefaultValueFactory = _ => "embedded",
    };
    private readonly Option<string[]> _etcdServers = new("--etcd-servers")
    {
        Description = "etcd servers to connect with (scheme://ip:port), comma separated.",
        AllowMultipleArgumentsPerToken = true,
    };
    private readonly Option<string> _etcdPrefix = new("--etcd-prefix")
    {
        Description = "The prefix for all resource paths in etcd.",
        DefaultValueFactory = _ => "/registry/clusterregistry.kubernetes.io",
    };
    private readonly Option<string?> _etcdCa = new("--etcd-cafile") { Description = "CA bundle to verify etcd servers with." };
    private readonly Option<string?> _etcdCert = new("--etcd-certfile") { Description = "Client certificate for etcd (PEM)." };
    private readonly Option<string?> _etcdKey = new("--etcd-keyfile") { Description = "Client key for etcd (PEM)." };
    private readonly Option<string?> _postgres = new("--postgres-connection-string")
    {
        Description = "Npgsql connection string for --storage-backend postgres, "
            + "e.g. \"Host=db;Database=clusterregistry;Username=registry;Password=...\".",
    };
    private readonly Option<TimeSpan> _compaction = FlagText.Duration("--compaction-interval",
        "How often history older than one interval is pruned (watches from before it get 410 Expired).", TimeSpan.FromMinutes(5));
    private readonly Option<bool> _watchCache = new("--watch-cache")
    {
        Description = "Serve reads and watches from an in-memory cache fed by one watch of the store "
            + "(--watch-cache=false reads the store for every request).",
        DefaultValueFactory = _ => true,
    };

    public IEnumerable<Option> Options => [_backend, _etcdServers, _etcdPrefix, _compaction, _watchCache, _postgres, _etcdCa, _etcdCert, _etcdKey];

    public ServerOptions Read(ParseResult parse, ServerOptions options, ICollection<string> errors)
    {
        var backend = parse.GetValue(_backend)!;
        var servers = FlagText.Split(parse.GetValue(_etcdServers));
        // The original took --etcd-servers alone to mean etcd storage.
        if (servers.Count > 0 && parse.GetResult(_backend) is null or { Implicit: true }) backend = "etcd3";
        if ((backend == "etcd3") != (servers.Count > 0))
            errors.Add("--storage-backend etcd3 needs --etcd-servers (and --etcd-servers needs the etcd3 backend)");
        else if ((backend == "postgres") != (parse.GetValue(_postgres) is not null))
            errors.Add("--storage-backend postgres and --postgres-connection-string must be given together");
        else if (backend is not ("embedded" or "postgres" or "etcd3"))
            errors.Add($"--storage-backend must be one of embedded, etcd3, postgres (got \"{backend}\")");
        return options with
        {
            Infrastructure = options.Infrastructure with
            {
                StorageBackend = backend,
                PostgresConnectionString = parse.GetValue(_postgres),
                EtcdServers = servers,
                EtcdPrefix = parse.GetValue(_etcdPrefix)!,
                EtcdCaFile = parse.GetValue(_etcdCa),
                EtcdCertFile = parse.GetValue(_etcdCert),
                EtcdKeyFile = parse.GetValue(_etcdKey),
                CompactionInterval = parse.GetValue(_compaction),
                WatchCache = parse.GetValue(_watchCache) ? new WatchCacheOptions() : null,
            },
        };
    }
}
