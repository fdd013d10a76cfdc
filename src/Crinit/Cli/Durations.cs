using System.Globalization;
using System.Text.RegularExpressions;

namespace ClusterRegistry.Crinit.Cli;

/// <summary>Durations as kubectl writes them (90s, 3m, 1m30s, 1h).</summary>
public static partial class Durations
{
    [GeneratedRegex(@"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")]
    private static partial Regex Pattern();

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        var m = Pattern().Match(text.Trim());
        if (!m.Success || text.Trim().Length == 0) return false;
        int Part(int i) => m.Groups[i].Success ? int.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture) : 0;
        value = new TimeSpan(Part(1), Part(2), Part(3));
        return value > TimeSpan.Zero;
    }

    public static string Format(TimeSpan value) =>
        (value.TotalHours >= 1 ? $"{(int)value.TotalHours}h" : "")
        + (value.Minutes > 0 ? $"{value.Minutes}m" : "")
        + (value.Seconds > 0 || value < TimeSpan.FromMinutes(1) ? $"{value.Seconds}s" : "");
}
