using System.Diagnostics;
using System.Net.Sockets;

namespace ClusterRegistry.Tests;

/// <summary>What a test class needs from the machine beyond the .NET SDK (which <c>bash .ci/run</c> installs).</summary>
public enum Prerequisite
{
    /// <summary>A running Docker daemon with the locally built etcd and PostgreSQL test images (.ci/docker.sh).</summary>
    Docker,

    /// <summary>kubectl 1.20 at $KUBECTL_1_20 or /opt/kubectl-1.20/usr/bin/kubectl.</summary>
    Kubectl120,

    /// <summary>The official Python client (Debian's python3-kubernetes) for /usr/bin/python3.</summary>
    PythonClient,

    /// <summary>Prometheus' text-format parser (Debian's python3-prometheus-client) for /usr/bin/python3.</summary>
    PrometheusParser,

    /// <summary>
    /// kube-apiserver and kube-controller-manager v1.20.2 built by .ci/kube-apiserver.sh (in $KUBE_BIN_DIR or its
    /// cache directory) and Debian's etcd at /usr/bin/etcd: a real host cluster on loopback.
    /// </summary>
    HostCluster,
}

/// <summary>
/// Marks a test class whose tests are reported as skipped, with a one-line reason, when the prerequisite is
/// missing: a plain <c>dotnet test</c> on a machine without it stays green and says what it did not run, while CI
/// (<c>bash .ci/run</c>) installs everything and counts any skipped test as a failure.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class RequiresAttribute(Prerequisite prerequisite) : Attribute
{
    public Prerequisite Prerequisite { get; } = prerequisite;
}

/// <summary>Checks each prerequisite once per test run.</summary>
public static class Prerequisites
{
    private static readonly Lazy<string?> DockerMissing = new(CheckDocker);
    private static readonly Lazy<string?> Kubectl120Missing = new(CheckKubectl120);
    private static readonly Lazy<string?> PythonClientMissing = new(() => CheckPythonModule("kubernetes", "python3-kubernetes"));
    private static readonly Lazy<string?> HostClusterMissing = new(CheckHostCluster);
    private static readonly Lazy<string?> PrometheusParserMissing = new(() => CheckPythonModule("prometheus_client", "python3-prometheus-client"));

    /// <summary>Why the prerequisite is missing, or null when it is there.</summary>
    public static string? Missing(Prerequisite prerequisite) => prerequisite switch
    {
        Prerequisite.Docker => DockerMissing.Value,
        Prerequisite.Kubectl120 => Kubectl120Missing.Value,
        Prerequisite.PythonClient => PythonClientMissing.Value,
        Prerequisite.PrometheusParser => PrometheusParserMissing.Value,
        Prerequisite.HostCluster => HostClusterMissing.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(prerequisite)),
    };

    public const string Setup = "bash .ci/run installs it";

    private static string? CheckDocker()
    {
        const string socketPath = "/var/run/docker.sock";
        if (!File.Exists(socketPath)) return $"Docker is not running (no {socketPath}; {Setup})";
        try
        {
            using var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
            using var docker = new HttpClient(handler) { BaseAddress = new Uri("http://docker"), Timeout = TimeSpan.FromSeconds(10) };
            // Images named by CLUSTERREGISTRY_ETCD_IMAGE / CLUSTERREGISTRY_POSTGRES_IMAGE are pulled when needed.
            var local = new[] { ("CLUSTERREGISTRY_ETCD_IMAGE", "clusterregistry-test/etcd:latest"), ("CLUSTERREGISTRY_POSTGRES_IMAGE", "clusterregistry-test/postgres:latest") }
                .Where(i => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(i.Item1))).Select(i => i.Item2);
            foreach (var image in local)
            {
                using var response = docker.GetAsync($"/v1.41/images/{image}/json").GetAwaiter().GetResult();
                if (!response.IsSuccessStatusCode) return $"the local test image {image} is missing (bash .ci/docker.sh builds it)";
            }
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or TaskCanceledException)
        {
            return $"Docker does not answer on {socketPath} ({e.Message}; {Setup})";
        }
    }

    /// <summary>
    /// Where kube-apiserver and kube-controller-manager are: $KUBE_BIN_DIR (set by .ci/run), else the directory
    /// .ci/kube-apiserver.sh caches them in ($CLUSTERREGISTRY_KUBE_CACHE, default /var/cache/clusterregistry-kube).
    /// </summary>
    public static string KubeBinDir =>
        Environment.GetEnvironmentVariable("KUBE_BIN_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetEnvironmentVariable("CLUSTERREGISTRY_KUBE_CACHE") is { Length: > 0 } root
                ? root : "/var/cache/clusterregistry-kube", "v1.20.2-b83c0780efb1", "bin");

    private static string? CheckHostCluster()
    {
        foreach (var binary in new[] { "kube-apiserver", "kube-controller-manager" })
        {
            if (!File.Exists(Path.Combine(KubeBinDir, binary)))
                return $"{binary} v1.20.2 is not in {KubeBinDir} (bash .ci/kube-apiserver.sh builds it once, ~15 min; KUBE_BIN_DIR names another directory)";
        }
        return File.Exists("/usr/bin/etcd") ? null : $"etcd is not at /usr/bin/etcd (apt-get install etcd-server; {Setup})";
    }

    private static string? CheckKubectl120()
    {
        var path = Environment.GetEnvironmentVariable("KUBECTL_1_20") ?? "/opt/kubectl-1.20/usr/bin/kubectl";
        return File.Exists(path) ? null : $"kubectl 1.20 is not at {path} ({Setup} from Debian's kubernetes-client)";
    }

    private static string? CheckPythonModule(string module, string package)
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python)) return $"{python} is missing ({Setup})";
        using var process = Process.Start(new ProcessStartInfo(python, ["-c", "import " + module])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        process.WaitForExit(30_000);
        return process.ExitCode == 0 ? null : $"{package} is not installed for {python} (apt-get install {package}; {Setup})";
    }
}
