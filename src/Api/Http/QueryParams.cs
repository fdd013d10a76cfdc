using System.Globalization;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Http;

/// <summary>Query parameters decoded as kube-apiserver does (booleans, integers, repeated values).</summary>
public static class QueryParams
{
    public static string? String(HttpRequest r, string name) =>
        r.Query.TryGetValue(name, out var v) && v.Count > 0 ? v[^1] : null;

    /// <summary>"0" or "false" (any case) is false; anything else, even empty, is true; absent is null.</summary>
    public static bool? Bool(HttpRequest r, string name)
    {
        if (!r.Query.TryGetValue(name, out var v)) return null;
        var s = v.Count > 0 ? v[^1] ?? "" : "";
        return !(s == "0" || s.Equals("false", StringComparison.OrdinalIgnoreCase));
    }

    public static long? Long(HttpRequest r, string name)
    {
        var s = String(r, name);
        if (string.IsNullOrEmpty(s)) return null;
        return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw ApiErrors.BadRequest($"invalid value for {name}: strconv.ParseInt: parsing \"{s}\": invalid syntax");
    }

    public static IReadOnlyList<string> Strings(HttpRequest r, string name) =>
        r.Query.TryGetValue(name, out var v) ? v.Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).ToList() : [];
}
