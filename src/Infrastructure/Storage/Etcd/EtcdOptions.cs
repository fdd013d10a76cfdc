namespace ClusterRegistry.Infrastructure.Storage.Etcd;

/// <summary>How to reach etcd and where the registry's keys live in it (kube-apiserver's --etcd-* flags).</summary>
public sealed class EtcdOptions
{
    /// <summary>
    /// Client URLs of the etcd members, e.g. <c>http://127.0.0.1:2379</c> or <c>https://etcd-0:2379</c> (the scheme
    /// picks TLS; all servers must use the same one). Several servers are load-balanced round robin.
    /// </summary>
    public IList<string> Servers { get; set; } = ["http://127.0.0.1:2379"];

    /// <summary>The key prefix every object key is stored under, as <c>{Prefix}/{key}</c> (kube's --etcd-prefix plus the group).</summary>
    public string Prefix { get; set; } = "/registry/clusterregistry.kubernetes.io";

    /// <summary>PEM file of the CA that signed the etcd server certificates; null trusts the system roots.</summary>
    public string? CaFile { get; set; }

    /// <summary>PEM client certificate for mutual TLS (with <see cref="KeyFile"/>).</summary>
    public string? CertFile { get; set; }

    /// <summary>PEM private key of <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>
    /// The deadline of one storage operation (a read, a write, re-establishing a watch), all its attempts on all
    /// members together, within the caller's own deadline; past it the operation fails with <c>Timeout</c>
    /// (or <c>Unreachable</c> when no member could be reached).
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long one attempt of a write (or of a single-key read) may go unanswered before a second attempt is sent,
    /// through another member, beside it (at least four times the typical answer time, so a slow etcd is not flooded):
    /// a request that a follower forwarded to a leader that died is never answered before etcd's own request timeout
    /// (7 s), while the survivors elect a new leader in about 1.5 s. An attempt sent needlessly costs load, never a
    /// wrong answer (see EtcdStorage.WriteOutcome.cs).
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>How long connecting to a member may take (TCP and TLS) before the balancer counts it as down.</summary>
    public TimeSpan DialTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often history is compacted (kube's --etcd-compaction-interval; <see cref="Compaction.HistoryCompactor"/>);
    /// zero disables it.
    /// </summary>
    public TimeSpan CompactionInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a connection with calls open may stay silent before an HTTP/2 keepalive ping checks it. Not below
    /// etcd's --grpc-keepalive-min-time (5 s by default), or etcd closes the connection for pinging too often.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a keepalive ping may go unanswered before the connection is closed as dead and its calls fail over.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(2);

    internal void Validate()
    {
        if (Servers is null || Servers.Count == 0) throw new ArgumentException("at least one etcd server is required", nameof(Servers));
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentException("the request timeout must be positive", nameof(RequestTimeout));
        if (AttemptTimeout <= TimeSpan.Zero) throw new ArgumentException("the attempt timeout must be positive", nameof(AttemptTimeout));
        if (DialTimeout <= TimeSpan.Zero) throw new ArgumentException("the dial timeout must be positive", nameof(DialTimeout));
        if (KeepAliveInterval <= TimeSpan.Zero || KeepAliveTimeout <= TimeSpan.Zero)
            throw new ArgumentException("the keepalive interval and timeout must be positive", nameof(KeepAliveInterval));
        if ((CertFile is null) != (KeyFile is null))
            throw new ArgumentException("the etcd client certificate and key must be given together", nameof(CertFile));
        var schemes = Servers.Select(s => new Uri(s, UriKind.Absolute).Scheme).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (schemes.Count != 1 || schemes[0] is not ("http" or "https"))
            throw new ArgumentException($"etcd servers must all be http:// or all https://, got {string.Join(", ", Servers)}", nameof(Servers));
    }
}
