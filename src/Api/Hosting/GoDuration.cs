using System.Globalization;
using System.Text.RegularExpressions;

namespace ClusterRegistry.Api.Hosting;

/// <summary>
/// Durations as kube-apiserver's flags take them (Go's time.ParseDuration: <c>1h</c>, <c>5m</c>, <c>1m30s</c>,
/// <c>300ms</c>), and also .NET's <c>hh:mm:ss</c>.
/// </summary>
public static partial class GoDuration
{
    [GeneratedRegex(@"^(?:(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns))+$")]
    private static partial Regex Shape();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")]
    private static partial Regex Part();

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (text == "0") return true;
        if (Shape().IsMatch(text))
        {
            double ms = 0;
            foreach (Match m in Part().Matches(text))
            {
                var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                ms += m.Groups[2].Value switch
                {
                    "h" => n * 3_600_000,
                    "m" => n * 60_000,
                    "s" => n * 1000,
                    "ms" => n,
                    "us" or "µs" => n / 1000,
                    _ => n / 1_000_000,
                };
            }
            value = TimeSpan.FromMilliseconds(ms);
            return true;
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
    }

    /// <summary>A System.CommandLine parser for a duration option.</summary>
    public static TimeSpan Parse(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (TryParse(text, out var value)) return value;
        result.AddError($"invalid duration \"{text}\": use a Go duration such as 30s, 5m, 1h30m (or hh:mm:ss)");
        return TimeSpan.Zero;
    }
}
