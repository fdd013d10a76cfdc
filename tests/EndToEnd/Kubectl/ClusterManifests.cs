using System.Text;
using System.Text.RegularExpressions;

namespace ClusterRegistry.Tests.EndToEnd.KubectlSuite;

/// <summary>Unique names, Cluster manifests and parsing of kubectl's column output.</summary>
public static partial class ClusterManifests
{
    public const string Group = "clusterregistry.k8s.io";
    public const string ApiVersion = "clusterregistry.k8s.io/v1alpha1";

    /// <summary>A DNS-1123 name that no other test uses, e.g. <c>lbl-3fa85f64a1</c>.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    /// <summary>A label value that marks the objects of one test, so list-based commands see only them.</summary>
    public static string UniqueSuite() => "s" + Guid.NewGuid().ToString("N")[..12];

    public static string Cluster(
        string name,
        string serverAddress = "203.0.113.10:6443",
        string clientCidr = "10.0.0.0/8",
        IReadOnlyDictionary<string, string>? labels = null,
        IReadOnlyList<string>? finalizers = null)
    {
        var y = new StringBuilder();
        y.Append("apiVersion: ").Append(ApiVersion).Append('\n');
        y.Append("kind: Cluster\n");
        y.Append("metadata:\n");
        y.Append("  name: ").Append(name).Append('\n');
        if (labels is { Count: > 0 })
        {
            y.Append("  labels:\n");
            foreach (var (k, v) in labels) y.Append("    ").Append(k).Append(": \"").Append(v).Append("\"\n");
        }
        if (finalizers is { Count: > 0 })
        {
            y.Append("  finalizers:\n");
            foreach (var f in finalizers) y.Append("  - ").Append(f).Append('\n');
        }
        y.Append("spec:\n");
        y.Append("  kubernetesApiEndpoints:\n");
        y.Append("    serverEndpoints:\n");
        y.Append("    - clientCIDR: \"").Append(clientCidr).Append("\"\n");
        y.Append("      serverAddress: \"").Append(serverAddress).Append("\"\n");
        return y.ToString();
    }

    /// <summary>Several manifests as one multi-document YAML stream.</summary>
    public static string Documents(IEnumerable<string> manifests) => string.Join("---\n", manifests);

    public static string[] Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The header cells of a kubectl table (its first line).</summary>
    public static string[] Header(string output) => Lines(output) is { Length: > 0 } l ? Cells(l[0]) : [];

    /// <summary>The cells of the row whose first cell (or, with --output-watch-events, second cell) is <paramref name="name"/>.</summary>
    public static string[]? Row(string output, string name) =>
        Lines(output).Select(Cells).FirstOrDefault(c => c.Length > 0 && c[0] == name);

    /// <summary>The first column of every data row (the header excluded).</summary>
    public static string[] FirstColumn(string output) => [.. Lines(output).Skip(1).Select(l => Cells(l)[0])];

    /// <summary>A kubectl age such as 0s, 12s, 3m4s, 5h, 2d3h.</summary>
    public static bool IsAge(string cell) => AgeRegex().IsMatch(cell);

    [GeneratedRegex("^[0-9]+[smhdy]([0-9]+[smhdy])?$")]
    private static partial Regex AgeRegex();
}
