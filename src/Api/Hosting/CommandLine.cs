using System.CommandLine;
using ClusterRegistry.Api.Endpoints;

namespace ClusterRegistry.Api.Hosting;

/// <summary>
/// The <c>clusterregistry</c> command line. It accepts the original's flags so existing deployments carry over;
/// flags of features not built yet fail with a message saying so, never silently.
/// </summary>
public static class CommandLine
{
    private static readonly Dictionary<string, string> NotYetImplemented = new()
    {
        ["--client-ca-file"] = "client certificate authentication",
        ["--anonymous-auth"] = "anonymous authentication",
        ["--authentication-token-webhook-config-file"] = "token review webhook authentication",
        ["--authorization-mode"] = "authorization modes",
        ["--authorization-webhook-config-file"] = "webhook authorization",
        ["--authorization-always-allow"] = "authorization modes",
        ["--authorization-webhook"] = "webhook authorization",
        ["--audit-log-path"] = "audit logging",
        ["--max-requests-inflight"] = "request throttling",
        ["--max-mutating-requests-inflight"] = "request throttling",
        ["--advertise-address"] = "advertise address SANs",
        ["--etcd-cafile"] = "the etcd3 storage backend",
        ["--etcd-certfile"] = "the etcd3 storage backend",
        ["--etcd-keyfile"] = "the etcd3 storage backend",
        ["--postgres-connection-string"] = "the postgres storage backend",
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("ClusterRegistry: a Kubernetes-style API server holding a list of clusters and their metadata.");

        var securePort = new Option<int>("--secure-port") { Description = "The port on which to serve HTTPS.", DefaultValueFactory = _ => 6443 };
        var bindAddress = new Option<string>("--bind-address") { Description = "The IP address on which to listen.", DefaultValueFactory = _ => "127.0.0.1" };
        var dataDir = new Option<string>("--data-dir") { Description = "Directory for the embedded store, generated certificates, token and kubeconfig.", DefaultValueFactory = _ => ServerOptions.DefaultDataDir() };
        var certDir = new Option<string?>("--cert-dir") { Description = "Directory for the generated self-signed serving certificate (default <data-dir>/certs). Ignored when --tls-cert-file is set." };
        var tlsCert = new Option<string?>("--tls-cert-file") { Description = "PEM serving certificate (with intermediates)." };
        var tlsKey = new Option<string?>("--tls-private-key-file") { Description = "PEM private key of --tls-cert-file." };
        var tokenFile = new Option<string?>("--token-auth-file") { Description = "Static tokens, CSV: token,user,uid,\"group1,group2\". Without it an admin token and kubeconfig are generated in the data directory." };
        var backend = new Option<string>("--storage-backend") { Description = "embedded (default), etcd3 or postgres.", DefaultValueFactory = _ => "embedded" };
        var etcdServers = new Option<string[]>("--etcd-servers") { Description = "etcd servers to connect with (scheme://ip:port), comma separated.", AllowMultipleArgumentsPerToken = true };
        var etcdPrefix = new Option<string>("--etcd-prefix") { Description = "The prefix for all resource paths in etcd.", DefaultValueFactory = _ => "/registry/clusterregistry.kubernetes.io" };
        var compaction = new Option<TimeSpan>("--compaction-interval") { Description = "How often history older than one interval is pruned (watches from before it get 410 Expired).", DefaultValueFactory = _ => TimeSpan.FromMinutes(5) };
        var bookmarks = new Option<TimeSpan>("--watch-bookmark-interval") { Description = "How often an idle watch that allows bookmarks gets one.", DefaultValueFactory = _ => TimeSpan.FromSeconds(30) };

        var standalone = new Command("standalone", "Run the registry as a standalone API server.");
        foreach (var o in new Option[] { securePort, bindAddress, dataDir, certDir, tlsCert, tlsKey, tokenFile, backend, etcdServers, etcdPrefix, compaction, bookmarks })
            standalone.Options.Add(o);
        var unimplemented = new List<Option<string?>>();
        foreach (var (flag, feature) in NotYetImplemented)
        {
            var o = new Option<string?>(flag) { Description = $"Not implemented yet ({feature}); setting it is an error.", Hidden = true, Arity = ArgumentArity.ZeroOrOne };
            unimplemented.Add(o);
            standalone.Options.Add(o);
        }
        standalone.SetAction(async (parse, ct) =>
        {
            foreach (var o in unimplemented)
            {
                if (parse.GetResult(o) is { Implicit: false })
                {
                    Console.Error.WriteLine($"error: {o.Name} is not implemented yet in this version ({NotYetImplemented[o.Name]}).");
                    return 2;
                }
            }
            var storageBackend = parse.GetValue(backend)!;
            if (storageBackend is "etcd3" or "postgres" || parse.GetValue(etcdServers) is { Length: > 0 })
            {
                Console.Error.WriteLine($"error: the {(storageBackend == "postgres" ? "postgres" : "etcd3")} storage backend is not implemented yet in this version; use --storage-backend embedded.");
                return 2;
            }
            if (storageBackend != "embedded")
            {
                Console.Error.WriteLine($"error: --storage-backend must be one of embedded, etcd3, postgres (got \"{storageBackend}\").");
                return 2;
            }
            var cert = parse.GetValue(tlsCert);
            var key = parse.GetValue(tlsKey);
            if ((cert is null) != (key is null))
            {
                Console.Error.WriteLine("error: --tls-cert-file and --tls-private-key-file must be given together.");
                return 2;
            }
            if (!System.Net.IPAddress.TryParse(parse.GetValue(bindAddress), out _))
            {
                Console.Error.WriteLine($"error: --bind-address must be an IP address (got \"{parse.GetValue(bindAddress)}\").");
                return 2;
            }
            var options = new ServerOptions
            {
                SecurePort = parse.GetValue(securePort),
                BindAddress = parse.GetValue(bindAddress)!,
                DataDir = Path.GetFullPath(parse.GetValue(dataDir)!),
                CertDir = parse.GetValue(certDir),
                TlsCertFile = cert,
                TlsPrivateKeyFile = key,
                TokenAuthFile = parse.GetValue(tokenFile),
                StorageBackend = storageBackend,
                CompactionInterval = parse.GetValue(compaction),
                WatchBookmarkInterval = parse.GetValue(bookmarks),
            };
            return await ServerHost.RunAsync(options, ct);
        });
        root.Subcommands.Add(standalone);

        var specDir = new Argument<string>("directory") { Description = "Where to write swagger.json and the v3 document.", DefaultValueFactory = _ => "api/openapi-spec" };
        var openapi = new Command("openapi-spec", "Write the OpenAPI v2 and v3 documents the server serves (api/openapi-spec in the repository).");
        openapi.Arguments.Add(specDir);
        openapi.SetAction(parse =>
        {
            var dir = parse.GetValue(specDir)!;
            foreach (var (path, json) in OpenApi.OpenApiDocuments.Files())
            {
                var full = Path.Combine(dir, path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.WriteAllText(full, json);
                Console.WriteLine(full);
            }
            return 0;
        });
        root.Subcommands.Add(openapi);

        var version = new Command("version", "Print the version.");
        version.SetAction(_ =>
        {
            Console.WriteLine($"clusterregistry {VersionApi.ServerVersion} (Kubernetes API v{VersionApi.KubernetesMajor}.{VersionApi.KubernetesMinor})");
            return 0;
        });
        root.Subcommands.Add(version);
        return root;
    }
}
