using System.Security.Cryptography.X509Certificates;
using ClusterRegistry.Infrastructure.Webhooks;

namespace ClusterRegistry.Infrastructure.Delegated;

/// <summary>
/// How the aggregated server reaches its host kube-apiserver: a kubeconfig file (<c>--authentication-kubeconfig</c>,
/// <c>--authorization-kubeconfig</c>), else the pod's in-cluster credentials, as client-go's rest.InClusterConfig.
/// </summary>
public static class HostCredentials
{
    public const string ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>
    /// Where the in-cluster token and CA are read instead of <see cref="ServiceAccountDir"/>: for a token mounted
    /// elsewhere, and for tests, which cannot write to /var/run/secrets.
    /// </summary>
    public const string ServiceAccountDirVariable = "CLUSTERREGISTRY_SERVICE_ACCOUNT_DIR";

    /// <summary>The connection to the host; <paramref name="flag"/> names the kubeconfig flag in error messages.</summary>
    public static WebhookKubeconfig Load(string? kubeconfig, string flag, string? serviceAccountDir = null)
    {
        if (kubeconfig is not null) return WebhookKubeconfig.Load(kubeconfig);
        serviceAccountDir ??= Environment.GetEnvironmentVariable(ServiceAccountDirVariable) is { Length: > 0 } dir ? dir : ServiceAccountDir;
        var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
        var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
        var tokenFile = Path.Combine(serviceAccountDir, "token");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port) || !File.Exists(tokenFile))
            throw new InvalidOperationException(
                $"no host cluster to delegate to: give {flag} (a kubeconfig for the host kube-apiserver) or run in a pod " +
                $"(KUBERNETES_SERVICE_HOST/PORT and {tokenFile})");
        var ca = new X509Certificate2Collection();
        var caFile = Path.Combine(serviceAccountDir, "ca.crt");
        if (File.Exists(caFile)) ca.ImportFromPemFile(caFile);
        var hostPart = host.Contains(':') ? "[" + host + "]" : host;
        return new WebhookKubeconfig { Server = new Uri($"https://{hostPart}:{port}"), CertificateAuthority = ca, TokenFile = tokenFile };
    }
}
