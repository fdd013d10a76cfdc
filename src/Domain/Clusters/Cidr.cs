using System.Net;
using System.Net.Sockets;

namespace ClusterRegistry.Domain.Clusters;

/// <summary>CIDR notation read as Kubernetes' <c>net.ParseCIDR</c> reads it.</summary>
public static class Cidr
{
    /// <summary>
    /// Parses <c>address/bits</c>; host bits may be set (10.1.2.3/8) and are masked, which .NET's
    /// <see cref="IPNetwork.TryParse(string, out IPNetwork)"/> refuses.
    /// </summary>
    public static bool TryParse(string value, out IPNetwork network)
    {
        network = default;
        var slash = value.IndexOf('/');
        if (slash <= 0 || !IPAddress.TryParse(value[..slash], out var address)
            || !int.TryParse(value[(slash + 1)..], System.Globalization.NumberStyles.None, null, out var bits)
            || bits > (address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128))
            return false;
        var bytes = address.GetAddressBytes();
        for (var i = bits; i < bytes.Length * 8; i++) bytes[i / 8] &= (byte)~(0x80 >> (i % 8));
        network = new IPNetwork(new IPAddress(bytes), bits);
        return true;
    }
}
