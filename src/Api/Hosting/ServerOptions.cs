using ClusterRegistry.Api.Auditing;
using ClusterRegistry.Infrastructure;

namespace ClusterRegistry.Api.Hosting;

/// <summary>The settings of <c>clusterregistry standalone</c> and <c>aggregated</c>, from the command line.</summary>
public sealed record ServerOptions
{
    public int SecurePort { get; init; } = 6443;
    public string BindAddress { get; init; } = "127.0.0.1";
    public string? AdvertiseAddress { get; init; }
    /// <summary>The URL clients outside this host or container reach the server at (a published port); the generated kubeconfig names it.</summary>
    public Uri? ExternalUrl { get; init; }

    /// <summary>
    /// The storage flags and the data directory (<c>--storage-backend</c>, <c>--etcd-*</c>, <c>--postgres-*</c>,
    /// <c>--compaction-interval</c>, <c>--watch-cache</c>, <c>--health-probe-*</c>, <c>--data-dir</c>), as the
    /// infrastructure layer takes them. The data directory also holds the generated certificates, token and kubeconfig.
    /// </summary>
    public InfrastructureOptions Infrastructure { get; init; } = new() { DataDir = DefaultDataDir() };

    public string? CertDir { get; init; }
    public string? TlsCertFile { get; init; }
    public string? TlsPrivateKeyFile { get; init; }
    public TimeSpan WatchBookmarkInterval { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>kube's -v: from <see cref="RequestLogVerbosity"/> on, every request is logged; below it only slow and failed ones.</summary>
    public int Verbosity { get; init; }
    public const int RequestLogVerbosity = 3;

    // Authentication
    public string? TokenAuthFile { get; init; }
    public string? ClientCaFile { get; init; }
    public bool AnonymousAuth { get; init; }
    public string? TokenWebhookConfigFile { get; init; }
    public TimeSpan TokenWebhookCacheTtl { get; init; } = TimeSpan.FromMinutes(2);

    // Authorization
    public IReadOnlyList<string> AuthorizationModes { get; init; } = ["AlwaysAllow"];
    public string? AuthorizationWebhookConfigFile { get; init; }
    public string AuthorizationWebhookVersion { get; init; } = "v1beta1";
    public TimeSpan AuthorizedTtl { get; init; } = TimeSpan.FromMinutes(5);
    public TimeSpan UnauthorizedTtl { get; init; } = TimeSpan.FromSeconds(30);

    // Audit and limits
    public AuditOptions? Audit { get; init; }
    public int MaxRequestsInflight { get; init; } = 400;
    public int MaxMutatingRequestsInflight { get; init; } = 200;
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>kube-apiserver's <c>--shutdown-delay-duration</c>: how long the server keeps serving, not ready, after SIGTERM.</summary>
    public TimeSpan ShutdownDelay { get; init; }

    /// <summary>
    /// The server URL the generated kubeconfig names: <see cref="ExternalUrl"/>, or the bind address and port (loopback
    /// for a wildcard bind).
    /// </summary>
    public string KubeconfigServer
    {
        get
        {
            if (ExternalUrl is not null) return ExternalUrl.GetLeftPart(UriPartial.Authority);
            var host = BindAddress is "0.0.0.0" or "::" ? "127.0.0.1" : BindAddress;
            if (host.Contains(':')) host = "[" + host + "]";
            return $"https://{host}:{SecurePort}";
        }
    }

    // Observability
    /// <summary>An OTLP/HTTP collector (e.g. <c>http://127.0.0.1:4318</c>) to send traces to; null: no tracing.</summary>
    public Uri? TracingOtlpEndpoint { get; init; }

    public string EffectiveCertDir => CertDir ?? Path.Combine(Infrastructure.DataDir, "certs");

    /// <summary>Set for <c>clusterregistry aggregated</c>: authentication and authorization are the host's.</summary>
    public AggregatedOptions? Aggregated { get; init; }

    /// <summary>True when no way to authenticate was configured: the server then makes an admin token and kubeconfig.</summary>
    public bool GeneratesAdminCredentials => Aggregated is null && TokenAuthFile is null && ClientCaFile is null && TokenWebhookConfigFile is null;

    public static string DefaultDataDir() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".clusterregistry");
}
