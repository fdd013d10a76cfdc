using System.Net;
using System.Net.Sockets;
using ClusterRegistry.Domain.Clusters;

namespace ClusterRegistry.Application.Clusters.Queries.ExportKubeconfig;

/// <summary>
/// Picks the server endpoint meant for a client address: among the endpoints whose clientCIDR contains the address,
/// the longest prefix wins (as a routing table decides), the first listed on a tie. An endpoint without a clientCIDR
/// matches every client but loses to any CIDR that matches (ADR-009).
/// </summary>
public static class EndpointSelection
{
    public static ServerAddressByClientCidr? Select(IReadOnlyList<ServerAddressByClientCidr>? endpoints, IPAddress? client)
    {
        if (endpoints is null) return null;
        if (client is { IsIPv4MappedToIPv6: true }) client = client.MapToIPv4();
        ServerAddressByClientCidr? best = null;
        var bestBits = int.MinValue;
        foreach (var endpoint in endpoints)
        {
            if (endpoint is null || string.IsNullOrEmpty(endpoint.ServerAddress)) continue;
            var bits = string.IsNullOrEmpty(endpoint.ClientCidr) ? -1 : client is null ? int.MinValue : MatchBits(endpoint.ClientCidr, client);
            if (bits > bestBits)
            {
                best = endpoint;
                bestBits = bits;
            }
        }
        return bestBits == int.MinValue ? null : best;
    }

    /// <summary>The prefix length of <paramref name="cidr"/> when it contains <paramref name="address"/>, else int.MinValue.</summary>
    internal static int MatchBits(string cidr, IPAddress address) =>
        // Host bits in the CIDR (10.1.2.3/8) are ignored, as Kubernetes' net.ParseCIDR masks them; families never
        // mix: an IPv4 caller does not match ::/0 (IPNetwork.Contains and kube's net.IPNet.Contains agree).
        Cidr.TryParse(cidr, out var network) && network.Contains(address) ? network.PrefixLength : int.MinValue;

    /// <summary>The address as a kubeconfig server URL: https:// unless a scheme is given, IPv6 literals bracketed.</summary>
    public static string ServerUrl(string serverAddress)
    {
        if (serverAddress.Contains("://", StringComparison.Ordinal)) return serverAddress;
        if (IPAddress.TryParse(serverAddress, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 && !serverAddress.StartsWith('['))
            return "https://[" + serverAddress + "]";
        return "https://" + serverAddress;
    }
}
