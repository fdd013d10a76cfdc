using System.Diagnostics;
using System.Text.Json;

namespace ClusterRegistry.Tests.EndToEnd.Observability;

/// <summary>
/// A <c>/metrics</c> scrape as read by Prometheus' own text-format parser (Debian's python3-prometheus-client,
/// installed by CI, through <c>parse_metrics.py</c>): a scrape it rejects fails the test.
/// </summary>
public sealed class PrometheusScrape
{
    private const string Python = "/usr/bin/python3";

    private PrometheusScrape(Dictionary<string, string> families, List<(string Name, Dictionary<string, string> Labels, double Value)> samples)
    {
        Families = families;
        Samples = samples;
    }

    /// <summary>Family name (counters without <c>_total</c>, as the parser names them) to type.</summary>
    public Dictionary<string, string> Families { get; }

    public List<(string Name, Dictionary<string, string> Labels, double Value)> Samples { get; }

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public double Sum(string name, params (string Key, string Value)[] labels) =>
        Matching(name, labels).Sum(s => s.Value);

    public IEnumerable<(string Name, Dictionary<string, string> Labels, double Value)> Matching(string name, params (string Key, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));

    public static async Task<PrometheusScrape> ParseAsync(string text)
    {
        if (!File.Exists(Python)) throw new InvalidOperationException($"{Python} is missing");
        var psi = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Observability", "parse_metrics.py"));
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardInput.WriteAsync(text);
        p.StandardInput.Close();
        await p.WaitForExitAsync();
        var err = await stderr;
        if (err.Contains("No module named 'prometheus_client'"))
            throw new InvalidOperationException("python3-prometheus-client is not installed (apt-get install -y python3-prometheus-client):\n" + err);
        if (p.ExitCode != 0) throw new InvalidOperationException($"the Prometheus parser rejected /metrics:\n{err}\n--- scrape ---\n{text}");

        using var doc = JsonDocument.Parse(await stdout);
        var families = doc.RootElement.GetProperty("families").EnumerateObject().ToDictionary(f => f.Name, f => f.Value.GetString()!);
        var samples = doc.RootElement.GetProperty("samples").EnumerateArray()
            .Select(s => (s[0].GetString()!, s[1].EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString()!), s[2].GetDouble()))
            .ToList();
        return new PrometheusScrape(families, samples);
    }
}
