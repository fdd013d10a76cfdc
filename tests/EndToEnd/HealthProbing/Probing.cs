using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Tests.EndToEnd.Http;

namespace ClusterRegistry.Tests.EndToEnd.HealthProbing;

/// <summary>Helpers of the health-probing tests: flags, clusters pointing at fake endpoints, conditions, metrics, waits.</summary>
public static class Probing
{
    public const string PinAnnotation = "health.clusterregistry.k8s.io/pinned-certificate-sha256";
    public const string Manager = "clusterregistry-health-prober";

    /// <summary>Short intervals so a test sees transitions in seconds.</summary>
    public static string[] Flags(string cidrs, int failureThreshold = 2, int successThreshold = 2, string interval = "300ms",
        string heartbeat = "1h", string lease = "15s", int maxInFlight = 10, string timeout = "2s") =>
    [
        "--health-probe-allowed-cidrs", cidrs, "--health-probe-interval", interval, "--health-probe-timeout", timeout,
        "--health-probe-failure-threshold", failureThreshold.ToString(CultureInfo.InvariantCulture),
        "--health-probe-success-threshold", successThreshold.ToString(CultureInfo.InvariantCulture),
        "--health-probe-heartbeat-interval", heartbeat, "--health-probe-lease-duration", lease,
        "--health-probe-max-in-flight", maxInFlight.ToString(CultureInfo.InvariantCulture),
    ];

    public static JsonObject Cluster(string name, string serverAddress, string? caPem)
    {
        var cluster = Api.NewCluster(name, serverAddress: serverAddress);
        if (caPem is not null)
            cluster["spec"]!["kubernetesApiEndpoints"]!["caBundle"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(caPem));
        return cluster;
    }

    /// <summary>The condition of <paramref name="type"/> on the object, or null.</summary>
    public static JsonElement? Condition(JsonElement cluster, string type)
    {
        if (!cluster.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.Object
            || !status.TryGetProperty("conditions", out var conditions)) return null;
        foreach (var c in conditions.EnumerateArray())
            if (c.GetProperty("type").GetString() == type) return c;
        return null;
    }

    public static string? ConditionStatus(JsonElement cluster, string type) => Condition(cluster, type)?.GetProperty("status").GetString();

    public static string? Reason(JsonElement cluster, string type) =>
        Condition(cluster, type) is { } c && c.TryGetProperty("reason", out var r) ? r.GetString() : null;

    public static string? Pin(JsonElement cluster) =>
        cluster.GetProperty("metadata").TryGetProperty("annotations", out var a) && a.TryGetProperty(PinAnnotation, out var p) ? p.GetString() : null;

    /// <summary>Polls the object until <paramref name="done"/> holds; fails with the last state after the deadline.</summary>
    public static async Task<JsonElement> WaitForAsync(HttpClient client, string name, Func<JsonElement, bool> done, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await Api.GetAsync(client, name);
            if (done(last)) return last;
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException($"cluster {name}: {what} not reached within {seconds}s; last state:\n{last}");
    }

    /// <summary>Polls until <paramref name="done"/> holds.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> done, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await done()) return;
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException($"{what} not reached within {seconds}s");
    }

    /// <summary>The sum of the samples of <paramref name="name"/> (exactly, without suffix) whose labels include <paramref name="labels"/>.</summary>
    public static async Task<double> MetricAsync(HttpClient client, string name, params string[] labels)
    {
        var text = await client.GetStringAsync("/metrics");
        double sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(name, StringComparison.Ordinal)) continue;
            var rest = line[name.Length..];
            if (rest.Length == 0 || (rest[0] != '{' && rest[0] != ' ')) continue;
            if (!labels.All(l => rest.Contains(l, StringComparison.Ordinal))) continue;
            var value = rest[(rest.LastIndexOf(' ') + 1)..];
            sum += double.Parse(value, CultureInfo.InvariantCulture);
        }
        return sum;
    }
}
