namespace ClusterRegistry.Api.Hosting;

/// <summary>
/// The settings only <c>clusterregistry aggregated</c> has: where the host cluster is and how authentication and
/// authorization are delegated to it. Flag names and defaults are k8s.io/apiserver's delegating options. A null
/// request-header list means "as the host's ConfigMap says".
/// </summary>
public sealed record AggregatedOptions
{
    public string? AuthenticationKubeconfig { get; init; }
    public string? AuthorizationKubeconfig { get; init; }
    public TimeSpan TokenCacheTtl { get; init; } = TimeSpan.FromSeconds(10);
    public string? RequestHeaderClientCaFile { get; init; }
    public IReadOnlyList<string>? RequestHeaderAllowedNames { get; init; }
    public IReadOnlyList<string>? RequestHeaderUsernameHeaders { get; init; }
    public IReadOnlyList<string>? RequestHeaderGroupHeaders { get; init; }
    public IReadOnlyList<string>? RequestHeaderExtraHeadersPrefix { get; init; }
    public bool SkipLookup { get; init; }
    public bool TolerateLookupFailure { get; init; }
    public TimeSpan AuthorizedTtl { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan UnauthorizedTtl { get; init; } = TimeSpan.FromSeconds(10);
    public IReadOnlyList<string> AlwaysAllowPaths { get; init; } = ["/healthz", "/readyz", "/livez"];

    /// <summary>How often the host's extension-apiserver-authentication ConfigMap is read again for CA changes.</summary>
    public TimeSpan ConfigMapRefreshInterval { get; init; } = TimeSpan.FromSeconds(10);
}
