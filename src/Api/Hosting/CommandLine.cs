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
        ["--audit-policy-file"] = "audit policy files; use --audit-log-level",
    };

    private static readonly Dictionary<string, string> Refused = new()
    {
        ["--basic-auth-file"] = "basic authentication was removed from Kubernetes (1.19) because it sends reusable passwords with every request; use --token-auth-file, --client-ca-file or --authentication-token-webhook-config-file",
        ["--insecure-port"] = "the server never serves plain HTTP",
    };

    private static Uri? OtlpEndpoint(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") return uri;
        result.AddError($"invalid --tracing-otlp-endpoint \"{text}\": use an http(s) URL such as http://127.0.0.1:4318");
        return null;
    }

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
        var compaction = new Option<TimeSpan>("--compaction-interval") { CustomParser = GoDuration.Parse, Description = "How often history older than one interval is pruned (watches from before it get 410 Expired).", DefaultValueFactory = _ => TimeSpan.FromMinutes(5) };
        var bookmarks = new Option<TimeSpan>("--watch-bookmark-interval") { CustomParser = GoDuration.Parse, Description = "How often an idle watch that allows bookmarks gets one.", DefaultValueFactory = _ => TimeSpan.FromSeconds(30) };
        var verbosity = new Option<int>("--v", "-v") { Description = "Log verbosity, as kube-apiserver's -v: below 3 the log has starts, warnings, errors and requests slower than 1 s; 3 and above adds a line for every request.", DefaultValueFactory = _ => 0 };
        var watchCache = new Option<bool>("--watch-cache") { Description = "Serve reads and watches from an in-memory cache fed by one watch of the store (--watch-cache=false reads the store for every request).", DefaultValueFactory = _ => true };
        var etcdCa = new Option<string?>("--etcd-cafile") { Description = "CA bundle to verify etcd servers with." };
        var etcdCert = new Option<string?>("--etcd-certfile") { Description = "Client certificate for etcd (PEM)." };
        var etcdKey = new Option<string?>("--etcd-keyfile") { Description = "Client key for etcd (PEM)." };
        var postgres = new Option<string?>("--postgres-connection-string") { Description = "Npgsql connection string for --storage-backend postgres, e.g. \"Host=db;Database=clusterregistry;Username=registry;Password=...\"." };
        var advertise = new Option<string?>("--advertise-address") { Description = "Address (IP or DNS name) clients use; added to the generated certificate's SANs." };
        var externalUrl = new Option<string?>("--external-url") { Description = "https URL clients outside this host or container use, e.g. a published port (https://127.0.0.1:16443); the generated kubeconfig names it and its host is added to the generated certificate's SANs." };
        var clientCa = new Option<string?>("--client-ca-file") { Description = "PEM CA bundle; client certificates it signed authenticate as CN (user) and O (groups)." };
        var anonymous = new Option<bool>("--anonymous-auth") { Description = "Serve requests without credentials as system:anonymous (group system:unauthenticated). Off by default." };
        var tokenWebhook = new Option<string?>("--authentication-token-webhook-config-file") { Description = "kubeconfig-format file of a TokenReview (authentication.k8s.io/v1) webhook for bearer tokens." };
        var tokenWebhookTtl = new Option<TimeSpan>("--authentication-token-webhook-cache-ttl") { CustomParser = GoDuration.Parse, Description = "How long to cache token review answers.", DefaultValueFactory = _ => TimeSpan.FromMinutes(2) };
        var authzMode = new Option<string>("--authorization-mode") { Description = "Comma-separated authorizers: AlwaysAllow, AlwaysDeny, Webhook. Default AlwaysAllow.", DefaultValueFactory = _ => "AlwaysAllow" };
        var alwaysAllow = new Option<bool>("--authorization-always-allow") { Description = "The original's flag: same as --authorization-mode AlwaysAllow." };
        var webhookMode = new Option<bool>("--authorization-webhook") { Description = "The original's flag: same as --authorization-mode Webhook." };
        var authzWebhook = new Option<string?>("--authorization-webhook-config-file") { Description = "kubeconfig-format file of the SubjectAccessReview webhook." };
        var authzVersion = new Option<string>("--authorization-webhook-version") { Description = "SubjectAccessReview version sent to the webhook: v1 or v1beta1 (the original's).", DefaultValueFactory = _ => "v1beta1" };
        var authorizedTtl = new Option<TimeSpan>("--authorization-webhook-cache-authorized-ttl") { CustomParser = GoDuration.Parse, Description = "How long to cache allowed answers.", DefaultValueFactory = _ => TimeSpan.FromMinutes(5) };
        var unauthorizedTtl = new Option<TimeSpan>("--authorization-webhook-cache-unauthorized-ttl") { CustomParser = GoDuration.Parse, Description = "How long to cache denied answers.", DefaultValueFactory = _ => TimeSpan.FromSeconds(30) };
        var auditPath = new Option<string?>("--audit-log-path") { Description = "Write audit.k8s.io/v1 events as JSON lines to this file." };
        var auditLevel = new Option<string>("--audit-log-level") { Description = "None, Metadata (default), Request or RequestResponse: how much of each request to record.", DefaultValueFactory = _ => "Metadata" };
        var auditMaxSize = new Option<int>("--audit-log-maxsize") { Description = "Rotate the audit log at this size in megabytes.", DefaultValueFactory = _ => 100 };
        var auditMaxBackup = new Option<int>("--audit-log-maxbackup") { Description = "Rotated audit logs to keep.", DefaultValueFactory = _ => 10 };
        var auditMaxAge = new Option<int>("--audit-log-maxage") { Description = "Days to keep rotated audit logs (0: no limit).", DefaultValueFactory = _ => 0 };
        var maxInflight = new Option<int>("--max-requests-inflight") { Description = "Concurrent non-mutating requests before 429 (0: no limit).", DefaultValueFactory = _ => 400 };
        var maxMutating = new Option<int>("--max-mutating-requests-inflight") { Description = "Concurrent mutating requests before 429 (0: no limit).", DefaultValueFactory = _ => 200 };
        var requestTimeout = new Option<TimeSpan>("--request-timeout") { CustomParser = GoDuration.Parse, Description = "Time limit of non-watch requests.", DefaultValueFactory = _ => TimeSpan.FromSeconds(60) };

        var tracing = new Option<Uri?>("--tracing-otlp-endpoint") { CustomParser = OtlpEndpoint, Description = "Send traces (a span per request, child spans for storage and webhook calls) to this OTLP/HTTP collector, e.g. http://127.0.0.1:4318." };

        var healthProbe = new HealthProbeFlags();
        var standalone = new Command("standalone", "Run the registry as a standalone API server.");
        foreach (var o in new Option[]
                 {
                     securePort, bindAddress, dataDir, certDir, tlsCert, tlsKey, tokenFile, backend, etcdServers, etcdPrefix, compaction, bookmarks, watchCache, verbosity, postgres, etcdCa, etcdCert, etcdKey,
                     advertise, externalUrl, clientCa, anonymous, tokenWebhook, tokenWebhookTtl, authzMode, alwaysAllow, webhookMode, authzWebhook, authzVersion,
                     authorizedTtl, unauthorizedTtl, auditPath, auditLevel, auditMaxSize, auditMaxBackup, auditMaxAge, maxInflight, maxMutating, requestTimeout,
                     tracing,
                 })
            standalone.Options.Add(o);
        foreach (var o in healthProbe.All) standalone.Options.Add(o);
        var unimplemented = new List<(Option<string?> Option, string Message)>();
        foreach (var (flag, feature) in NotYetImplemented)
            unimplemented.Add((new Option<string?>(flag) { Hidden = true, Arity = ArgumentArity.ZeroOrOne }, $"is not implemented yet in this version ({feature})"));
        foreach (var (flag, why) in Refused)
            unimplemented.Add((new Option<string?>(flag) { Hidden = true, Arity = ArgumentArity.ZeroOrOne }, $"is not supported: {why}"));
        foreach (var (o, _) in unimplemented) standalone.Options.Add(o);
        // The settings both server commands share; null (after an error line on stderr) when they are invalid.
        ServerOptions? ReadServerOptions(ParseResult parse)
        {
            var isStandalone = parse.CommandResult.Command == standalone;
            foreach (var (o, message) in unimplemented)
            {
                if (parse.GetResult(o) is { Implicit: false })
                {
                    Console.Error.WriteLine($"error: {o.Name} {message}.");
                    return null;
                }
            }
            List<string> modes = isStandalone ? parse.GetValue(authzMode)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList() : [];
            if (isStandalone && parse.GetValue(alwaysAllow)) modes = ["AlwaysAllow"];
            if (isStandalone && parse.GetValue(webhookMode)) modes = ["Webhook"];
            if (isStandalone && modes.Count == 0 || modes.Any(m => m is not ("AlwaysAllow" or "AlwaysDeny" or "Webhook")))
            {
                Console.Error.WriteLine($"error: --authorization-mode must list AlwaysAllow, AlwaysDeny or Webhook (got \"{parse.GetValue(authzMode)}\").");
                return null;
            }
            if (isStandalone && modes.Contains("Webhook") != (parse.GetValue(authzWebhook) is not null))
            {
                Console.Error.WriteLine("error: --authorization-mode Webhook and --authorization-webhook-config-file must be given together.");
                return null;
            }
            if (isStandalone && parse.GetValue(authzVersion) is not ("v1" or "v1beta1"))
            {
                Console.Error.WriteLine("error: --authorization-webhook-version must be v1 or v1beta1.");
                return null;
            }
            if (!Enum.TryParse<Auditing.AuditLevel>(parse.GetValue(auditLevel), out var level))
            {
                Console.Error.WriteLine("error: --audit-log-level must be None, Metadata, Request or RequestResponse.");
                return null;
            }
            var storageBackend = parse.GetValue(backend)!;
            var servers = (parse.GetValue(etcdServers) ?? []).SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            // The original took --etcd-servers alone to mean etcd storage.
            if (servers.Count > 0 && parse.GetResult(backend) is null or { Implicit: true }) storageBackend = "etcd3";
            if ((storageBackend == "etcd3") != (servers.Count > 0))
            {
                Console.Error.WriteLine("error: --storage-backend etcd3 needs --etcd-servers (and --etcd-servers needs the etcd3 backend).");
                return null;
            }
            if ((storageBackend == "postgres") != (parse.GetValue(postgres) is not null))
            {
                Console.Error.WriteLine("error: --storage-backend postgres and --postgres-connection-string must be given together.");
                return null;
            }
            if (storageBackend is not ("embedded" or "postgres" or "etcd3"))
            {
                Console.Error.WriteLine($"error: --storage-backend must be one of embedded, etcd3, postgres (got \"{storageBackend}\").");
                return null;
            }
            var cert = parse.GetValue(tlsCert);
            var key = parse.GetValue(tlsKey);
            if ((cert is null) != (key is null))
            {
                Console.Error.WriteLine("error: --tls-cert-file and --tls-private-key-file must be given together.");
                return null;
            }
            if (!System.Net.IPAddress.TryParse(parse.GetValue(bindAddress), out _))
            {
                Console.Error.WriteLine($"error: --bind-address must be an IP address (got \"{parse.GetValue(bindAddress)}\").");
                return null;
            }
            Uri? external = null;
            if (parse.GetValue(externalUrl) is { } externalText
                && (!Uri.TryCreate(externalText, UriKind.Absolute, out external) || external.Scheme != "https"
                    || external.AbsolutePath != "/" || external.Query.Length > 0 || external.UserInfo.Length > 0))
            {
                Console.Error.WriteLine($"error: --external-url must be an https URL with a host and optional port, nothing else (got \"{externalText}\").");
                return null;
            }
            if (healthProbe.Read(parse) is not { } healthProbing) return null;
            var options = new ServerOptions
            {
                SecurePort = parse.GetValue(securePort),
                BindAddress = parse.GetValue(bindAddress)!,
                DataDir = Path.GetFullPath(parse.GetValue(dataDir)!),
                CertDir = parse.GetValue(certDir),
                TlsCertFile = cert,
                TlsPrivateKeyFile = key,
                TokenAuthFile = isStandalone ? parse.GetValue(tokenFile) : null,
                AdvertiseAddress = parse.GetValue(advertise),
                ExternalUrl = external,
                ClientCaFile = parse.GetValue(clientCa),
                AnonymousAuth = parse.GetValue(anonymous),
                TokenWebhookConfigFile = isStandalone ? parse.GetValue(tokenWebhook) : null,
                TokenWebhookCacheTtl = isStandalone ? parse.GetValue(tokenWebhookTtl) : default,
                AuthorizationModes = modes,
                AuthorizationWebhookConfigFile = isStandalone ? parse.GetValue(authzWebhook) : null,
                AuthorizationWebhookVersion = isStandalone ? parse.GetValue(authzVersion)! : "v1",
                AuthorizedTtl = isStandalone ? parse.GetValue(authorizedTtl) : default,
                UnauthorizedTtl = isStandalone ? parse.GetValue(unauthorizedTtl) : default,
                Audit = parse.GetValue(auditPath) is { } audit
                    ? new Auditing.AuditOptions(audit, level, parse.GetValue(auditMaxSize), parse.GetValue(auditMaxBackup), parse.GetValue(auditMaxAge))
                    : null,
                MaxRequestsInflight = parse.GetValue(maxInflight),
                MaxMutatingRequestsInflight = parse.GetValue(maxMutating),
                RequestTimeout = parse.GetValue(requestTimeout),
                StorageBackend = storageBackend,
                PostgresConnectionString = parse.GetValue(postgres),
                EtcdServers = servers,
                EtcdPrefix = parse.GetValue(etcdPrefix)!,
                EtcdCaFile = parse.GetValue(etcdCa),
                EtcdCertFile = parse.GetValue(etcdCert),
                EtcdKeyFile = parse.GetValue(etcdKey),
                CompactionInterval = parse.GetValue(compaction),
                WatchBookmarkInterval = parse.GetValue(bookmarks),
                WatchCache = parse.GetValue(watchCache),
                Verbosity = parse.GetValue(verbosity),
                TracingOtlpEndpoint = parse.GetValue(tracing),
                HealthProbing = healthProbing,
            };
            return options;
        }

        standalone.SetAction(async (parse, ct) => ReadServerOptions(parse) is { } options ? await ServerHost.RunAsync(options, ct) : 2);
        root.Subcommands.Add(standalone);
        root.Subcommands.Add(AggregatedCommand.Create(
            [securePort, bindAddress, dataDir, certDir, tlsCert, tlsKey, backend, etcdServers, etcdPrefix, compaction, bookmarks, watchCache, verbosity, postgres, etcdCa, etcdCert, etcdKey,
             advertise, externalUrl, clientCa, anonymous, auditPath, auditLevel, auditMaxSize, auditMaxBackup, auditMaxAge, maxInflight, maxMutating, requestTimeout, tracing, ..healthProbe.All],
            unimplemented.Select(u => (Option)u.Option), ReadServerOptions));

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

        var migrateConnection = new Option<string>("--postgres-connection-string") { Description = "The database to migrate.", Required = true };
        var migrate = new Command("migrate", "Apply the PostgreSQL schema migrations and exit (the server also applies them at start).");
        migrate.Options.Add(migrateConnection);
        migrate.SetAction(async (parse, ct) =>
        {
            await Infrastructure.Storage.Postgres.PostgresStorage.MigrateAsync(parse.GetValue(migrateConnection)!, ct);
            Console.WriteLine("migrations applied");
            return 0;
        });
        root.Subcommands.Add(migrate);

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
