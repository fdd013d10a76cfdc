using ClusterRegistry.Crinit.Cli;
using k8s;

namespace ClusterRegistry.Crinit.Host;

/// <summary>
/// Before an aggregated install: is the host's aggregation layer on? kube-apiserver publishes its front-proxy
/// settings in kube-system/extension-apiserver-authentication only when started with the --requestheader-* flags;
/// without them the APIService would never become Available, after minutes of waiting.
/// </summary>
public static class AggregationPreflight
{
    public const string ConfigMap = "extension-apiserver-authentication";

    public static async Task CheckAsync(HostCluster host, TextWriter output, CancellationToken ct)
    {
        var map = await host.ReadOrNullAsync($"read configmap kube-system/{ConfigMap}",
            c => c.CoreV1.ReadNamespacedConfigMapAsync(ConfigMap, "kube-system", cancellationToken: ct));
        if (map?.Data is null || !map.Data.TryGetValue("requestheader-client-ca-file", out var ca) || string.IsNullOrWhiteSpace(ca))
            throw new CrinitException(
                $"the host's API server has no aggregation layer (kube-system/{ConfigMap} {(map is null ? "is missing" : "has no requestheader-client-ca-file")}): " +
                $"start kube-apiserver with --requestheader-client-ca-file, --requestheader-allowed-names, --requestheader-username-headers=X-Remote-User, " +
                $"--requestheader-group-headers=X-Remote-Group, --requestheader-extra-headers-prefix=X-Remote-Extra-, --proxy-client-cert-file and --proxy-client-key-file ({HostErrors.AggregationGuide})");
        output.WriteLine($"Aggregation layer: on (kube-system/{ConfigMap} names the front-proxy CA)");
    }
}
