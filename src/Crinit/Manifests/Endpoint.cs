using System.Net;
using System.Net.Sockets;

namespace ClusterRegistry.Crinit.Manifests;

/// <summary>
/// Where clients outside the host cluster reach the registry: a load balancer's addresses, or node addresses with a
/// NodePort. Its addresses go into the serving certificate; its first one into the kubeconfig entry.
/// </summary>
public sealed record Endpoint(IReadOnlyList<IPAddress> Addresses, IReadOnlyList<string> Hostnames, int? Port)
{
    public static readonly Endpoint None = new([], [], null);

    /// <summary>The kubeconfig server URL (first address, else first hostname), or null when nothing is known.</summary>
    public string? Url
    {
        get
        {
            var host = Addresses.Count > 0
                ? Addresses[0].AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Addresses[0]}]" : Addresses[0].ToString()
                : Hostnames.Count > 0 ? Hostnames[0] : null;
            if (host is null) return null;
            return Port is { } p ? $"https://{host}:{p}" : $"https://{host}";
        }
    }

    public string Describe() =>
        string.Join(", ", Addresses.Select(a => a.ToString()).Concat(Hostnames).Select(h => Port is { } p ? $"{h}:{p}" : h));
}
