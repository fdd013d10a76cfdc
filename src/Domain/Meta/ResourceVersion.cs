using System.Globalization;

namespace ClusterRegistry.Domain.Meta;

/// <summary>
/// A resourceVersion as this server issues it: the decimal storage revision. Clients treat it as opaque;
/// the server parses it to compare and to start watches.
/// </summary>
public static class ResourceVersion
{
    public static string Format(long revision) => revision.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses a non-empty resourceVersion; 0 for "0".</summary>
    public static bool TryParse(string? value, out long revision)
    {
        revision = 0;
        return !string.IsNullOrEmpty(value)
            && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out revision)
            && revision >= 0;
    }

    /// <summary>Parses a resourceVersion from a request, or throws the 400 kube-apiserver gives.</summary>
    public static long ParseOrBadRequest(string value) =>
        TryParse(value, out var rv) ? rv : throw ApiErrors.BadRequest($"invalid resource version: {value}");
}
