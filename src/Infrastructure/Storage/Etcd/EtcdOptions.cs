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

    /// <summary>The deadline of every unary call (and of connecting); past it the call fails with <c>Timeout</c>.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often <see cref="EtcdCompactor"/> compacts history (kube's --etcd-compaction-interval); zero disables it.</summary>
    public TimeSpan CompactionInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>HTTP/2 keepalive ping interval, which detects dead connections under long-running watches.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(10);

    internal void Validate()
    {
        if (Servers is null || Servers.Count == 0) throw new ArgumentException("at least one etcd server is required", nameof(Servers));
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentException("the request timeout must be positive", nameof(RequestTimeout));
        if ((CertFile is null) != (KeyFile is null))
            throw new ArgumentException("the etcd client certificate and key must be given together", nameof(CertFile));
        var schemes = Servers.Select(s => new Uri(s, UriKind.Absolute).Scheme).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (schemes.Count != 1 || schemes[0] is not ("http" or "https"))
            throw new ArgumentException($"etcd servers must all be http:// or all https://, got {string.Join(", ", Servers)}", nameof(Servers));
    }
}
