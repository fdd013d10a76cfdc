using System.Net;
using System.Net.Sockets;
using ClusterRegistry.Application.Clusters.Queries.ExportKubeconfig;
using ClusterRegistry.Domain.Clusters;

namespace ClusterRegistry.Infrastructure.HealthProbing;

/// <summary>An endpoint the prober may contact: its https URL and the checked address the connection goes to.</summary>
public sealed record ProbeTarget(Uri Url, IPAddress Address);

/// <summary>Why a cluster has no <see cref="ProbeTarget"/>.</summary>
public enum TargetRefusal
{
    None,
    /// <summary>No endpoint, or none that is an https address.</summary>
    NoEndpoint,
    /// <summary>An address (literal or resolved) lies outside the allowed ranges.</summary>
    NotAllowed,
    /// <summary>The host name did not resolve.</summary>
    Unresolvable,
}

/// <summary>
/// Chooses what to connect to. A host name is resolved here and the connection is made to the address that was
/// checked (never re-resolved by the HTTP stack), so a DNS answer that changes between check and connect cannot
/// lead the prober outside the allowed ranges; an endpoint qualifies only if every address it resolves to is allowed.
/// </summary>
public sealed class ProbeTargets(IReadOnlyList<IPNetwork> allowed, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
{
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve = resolve ?? Dns.GetHostAddressesAsync;

    public async Task<(ProbeTarget? Target, TargetRefusal Refusal)> ChooseAsync(Cluster cluster, CancellationToken ct)
    {
        var refusal = TargetRefusal.NoEndpoint;
        foreach (var endpoint in cluster.Spec?.KubernetesApiEndpoints?.ServerEndpoints ?? [])
        {
            if (string.IsNullOrWhiteSpace(endpoint.ServerAddress)
                || !Uri.TryCreate(EndpointSelection.ServerUrl(endpoint.ServerAddress.Trim()), UriKind.Absolute, out var url)
                || url.Scheme != Uri.UriSchemeHttps || url.Host.Length == 0)
                continue;
            IPAddress[] addresses;
            if (IPAddress.TryParse(url.Host.Trim('[', ']'), out var literal)) addresses = [literal];
            else
            {
                try
                {
                    addresses = await _resolve(url.IdnHost, ct);
                }
                catch (SocketException)
                {
                    if (refusal != TargetRefusal.NotAllowed) refusal = TargetRefusal.Unresolvable;
                    continue;
                }
                if (addresses.Length == 0)
                {
                    if (refusal != TargetRefusal.NotAllowed) refusal = TargetRefusal.Unresolvable;
                    continue;
                }
            }
            var normalized = addresses.Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).ToArray();
            if (normalized.All(IsAllowed)) return (new ProbeTarget(new Uri(url.GetLeftPart(UriPartial.Authority)), normalized[0]), TargetRefusal.None);
            refusal = TargetRefusal.NotAllowed;
        }
        return (null, refusal);
    }

    public bool IsAllowed(IPAddress address) => allowed.Any(n => n.Contains(address));
}
