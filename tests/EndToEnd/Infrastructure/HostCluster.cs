using System.Net;
using k8s;
using k8s.Models;

namespace ClusterRegistry.Tests.EndToEnd.Infrastructure;

/// <summary>
/// A real Kubernetes control plane on loopback for tests that need a host cluster: Debian's etcd, and
/// kube-apiserver and kube-controller-manager v1.20.2 built by <c>.ci/kube-apiserver.sh</c>. The API server runs
/// with RBAC, service-account tokens and the aggregation layer (front-proxy CA, proxy client certificate
/// <c>front-proxy-client</c>, the <c>--requestheader-*</c> flags); the controller manager runs the controllers a
/// namespace needs to be created and deleted (no scheduler, no kubelet: pods are never run). Everything lives in a
/// temporary directory and on free ports; the logs stay there until disposal and are quoted when start-up fails.
/// </summary>
public sealed class HostCluster : IAsyncLifetime
{
    /// <summary>The controllers kube-controller-manager runs: enough for namespaces, Deployments and SA tokens.</summary>
    public const string Controllers = "namespace,deployment,replicaset,serviceaccount,serviceaccount-token,garbagecollector,pvc-protection";

    private readonly List<LoggedProcess> _processes = [];
    private readonly bool _aggregationLayer;

    public HostCluster() : this(aggregationLayer: true)
    {
    }

    private HostCluster(bool aggregationLayer) => _aggregationLayer = aggregationLayer;

    /// <summary>A host whose kube-apiserver runs without the --requestheader-* and --proxy-client-* flags (no aggregation layer).</summary>
    public static HostCluster WithoutAggregationLayer() => new(aggregationLayer: false);
    private TestPki _clusterCa = null!;
    private TestPki _frontProxyCa = null!;

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "cr-host-" + Guid.NewGuid().ToString("N")[..12]);
    public int Port { get; private set; }
    public int EtcdPort { get; private set; }
    public string Url => $"https://127.0.0.1:{Port}";

    /// <summary>The admin kubeconfig (user <c>admin</c>, group <c>system:masters</c>, certificates inline).</summary>
    public string Kubeconfig => Path.Combine(Dir, "admin.kubeconfig");

    /// <summary>The cluster CA: it signed the API server's serving certificate and every client certificate.</summary>
    public string CaPath => Path.Combine(Dir, "ca.crt");
    public string CaPem => _clusterCa.CaPem;

    /// <summary>The front-proxy CA (the host's <c>requestheader-client-ca-file</c>) and the aggregator's client cert.</summary>
    public string FrontProxyCaPath => Path.Combine(Dir, "front-proxy-ca.crt");
    public IssuedCertificate FrontProxyClient { get; private set; } = null!;

    /// <summary>The name the host's <c>--requestheader-allowed-names</c> allows.</summary>
    public const string FrontProxyClientName = "front-proxy-client";

    /// <summary>A client for the API server as admin.</summary>
    public Kubernetes Kubernetes { get; private set; } = null!;

    /// <summary>kubectl 1.32 with the admin kubeconfig.</summary>
    public Kubectl Kubectl => KubectlFor(Kubeconfig);

    public async Task InitializeAsync()
    {
        // xunit builds fixtures even for tests it reports as skipped; without the binaries there is nothing to start.
        if (Prerequisites.Missing(Prerequisite.HostCluster) is not null) return;
        try
        {
            await StartAsync();
        }
        catch
        {
            // Nothing may outlive a failed start: the processes already running are stopped here.
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        var bin = Prerequisites.KubeBinDir;
        Directory.CreateDirectory(Dir);
        var pki = Directory.CreateDirectory(Path.Combine(Dir, "pki")).FullName;

        _clusterCa = TestPki.CreateCa("kubernetes-ca");
        File.WriteAllText(CaPath, _clusterCa.CaPem);
        var frontProxyCa = _frontProxyCa = TestPki.CreateCa("front-proxy-ca");
        File.WriteAllText(FrontProxyCaPath, frontProxyCa.CaPem);
        var serving = _clusterCa.IssueServer("kube-apiserver",
            ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"],
            [IPAddress.Loopback, IPAddress.Parse("10.96.0.1")]).WriteTo(pki, "apiserver");
        FrontProxyClient = frontProxyCa.IssueClient(FrontProxyClientName);
        var proxyClient = FrontProxyClient.WriteTo(pki, "front-proxy-client");
        var admin = _clusterCa.IssueClient("admin", "system:masters");
        // The service-account signing key: PKCS#1 private key for the signer, SubjectPublicKeyInfo for the verifier.
        using (var saKey = System.Security.Cryptography.RSA.Create(2048))
        {
            File.WriteAllText(Path.Combine(pki, "sa.key"), saKey.ExportRSAPrivateKeyPem());
            File.WriteAllText(Path.Combine(pki, "sa.pub"), saKey.ExportSubjectPublicKeyInfoPem());
        }

        EtcdPort = ServerProcess.FreePort();
        var peerPort = ServerProcess.FreePort();
        Port = ServerProcess.FreePort();
        File.WriteAllText(Kubeconfig, KubeconfigFor("admin", admin));
        var etcdUrl = $"http://127.0.0.1:{EtcdPort}";
        var peerUrl = $"http://127.0.0.1:{peerPort}";
        var etcd = Start("/usr/bin/etcd", "etcd.log",
            "--name", "host", "--data-dir", Path.Combine(Dir, "etcd"),
            "--listen-client-urls", etcdUrl, "--advertise-client-urls", etcdUrl,
            "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl, "--initial-cluster", "host=" + peerUrl);
        await WaitAsync(etcd, TimeSpan.FromSeconds(30), async http =>
            (await http.GetStringAsync(etcdUrl + "/health")).Contains("\"health\":\"true\""));

        string[] aggregation = _aggregationLayer
            ? [$"--requestheader-client-ca-file={FrontProxyCaPath}", $"--requestheader-allowed-names={FrontProxyClientName}",
               "--requestheader-username-headers=X-Remote-User", "--requestheader-group-headers=X-Remote-Group",
               "--requestheader-extra-headers-prefix=X-Remote-Extra-",
               $"--proxy-client-cert-file={proxyClient.Cert}", $"--proxy-client-key-file={proxyClient.Key}"]
            : [];
        var apiserver = Start(Path.Combine(bin, "kube-apiserver"), "kube-apiserver.log", [
            $"--etcd-servers={etcdUrl}", "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
            $"--secure-port={Port}", "--insecure-port=0", $"--cert-dir={pki}",
            $"--tls-cert-file={serving.Cert}", $"--tls-private-key-file={serving.Key}", $"--client-ca-file={CaPath}",
            $"--service-account-key-file={pki}/sa.pub", $"--service-account-signing-key-file={pki}/sa.key",
            "--service-account-issuer=https://kubernetes.default.svc", "--service-cluster-ip-range=10.96.0.0/16",
            "--authorization-mode=RBAC", "--profiling=false", .. aggregation]);
        using (var adminHttp = CreateHttpClient(admin))
        {
            await WaitAsync(apiserver, TimeSpan.FromSeconds(120), async _ =>
                (await adminHttp.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK);
        }
        Kubernetes = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig));

        var controllers = Start(Path.Combine(bin, "kube-controller-manager"), "kube-controller-manager.log",
            $"--kubeconfig={Kubeconfig}", $"--controllers={Controllers}", "--leader-elect=false",
            "--port=0", "--secure-port=0", $"--service-account-private-key-file={pki}/sa.key", $"--root-ca-file={CaPath}");
        // The serviceaccount controller's first act: proof the controller manager runs against this API server.
        await WaitAsync(controllers, TimeSpan.FromSeconds(60), async _ =>
            (await Kubernetes.ListNamespacedServiceAccountAsync("default")).Items.Any(sa => sa.Metadata.Name == "default"));
    }

    /// <summary>A client certificate for <paramref name="user"/> in <paramref name="groups"/>, signed by the cluster CA.</summary>
    public IssuedCertificate IssueClientCertificate(string user, params string[] groups) => _clusterCa.IssueClient(user, groups);

    /// <summary>A client certificate signed by the front-proxy CA (the aggregator's own is <see cref="FrontProxyClient"/>).</summary>
    public IssuedCertificate IssueFrontProxyCertificate(string commonName) => _frontProxyCa.IssueClient(commonName);

    /// <summary>Writes a kubeconfig for this cluster authenticating with <paramref name="client"/>; returns its path.</summary>
    public string WriteKubeconfig(string name, IssuedCertificate client)
    {
        var path = Path.Combine(Dir, name + ".kubeconfig");
        File.WriteAllText(path, KubeconfigFor(name, client));
        return path;
    }

    /// <summary>Writes a kubeconfig for this cluster authenticating with a bearer token; returns its path.</summary>
    public string WriteKubeconfig(string name, string token)
    {
        var path = Path.Combine(Dir, name + ".kubeconfig");
        File.WriteAllText(path, KubeconfigText(name, $"token: {token}"));
        return path;
    }

    /// <summary>kubectl 1.32 with the given kubeconfig and a private discovery cache per kubeconfig.</summary>
    public Kubectl KubectlFor(string kubeconfig, string binary = Infrastructure.Kubectl.V132) =>
        new(binary, kubeconfig, Path.Combine(Dir, "kubectl-cache", Path.GetFileNameWithoutExtension(kubeconfig) + binary.Replace('/', '_')));

    /// <summary>A token for a ServiceAccount (TokenRequest, one hour), as a pod's projected token would be.</summary>
    public async Task<string> CreateServiceAccountTokenAsync(string @namespace, string serviceAccount)
    {
        var request = new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { ExpirationSeconds = 3600 } };
        var answer = await Kubernetes.CreateNamespacedServiceAccountTokenAsync(request, serviceAccount, @namespace);
        return answer.Status.Token;
    }

    /// <summary>An HttpClient to the API server that trusts the cluster CA and presents <paramref name="client"/>.</summary>
    public HttpClient CreateHttpClient(IssuedCertificate? client)
    {
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = TrustOnly(_clusterCa.Ca.Certificate) };
        if (client is not null)
        {
            handler.ClientCertificateOptions = ClientCertificateOption.Manual;
            handler.ClientCertificates.Add(client.Certificate);
        }
        return new HttpClient(handler) { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>A server-certificate check that accepts only chains ending in <paramref name="ca"/>.</summary>
    public static Func<HttpRequestMessage, System.Security.Cryptography.X509Certificates.X509Certificate2?,
        System.Security.Cryptography.X509Certificates.X509Chain?, System.Net.Security.SslPolicyErrors, bool> TrustOnly(
        System.Security.Cryptography.X509Certificates.X509Certificate2 ca) => (_, cert, _, _) =>
    {
        if (cert is null) return false;
        using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
        chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
        return chain.Build(cert);
    };

    /// <summary>The logs of every process, for a failing test's message.</summary>
    public string Logs(int lines = 40) => string.Join('\n', _processes.Select(p => p.Tail(lines)));

    private string KubeconfigFor(string name, IssuedCertificate client) => KubeconfigText(name,
        $"client-certificate-data: {Base64(client.CertificatePem)}\n    client-key-data: {Base64(client.KeyPem)}");

    private string KubeconfigText(string user, string credentials) => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: host
          cluster:
            server: {Url}
            certificate-authority-data: {Base64(_clusterCa.CaPem)}
        users:
        - name: {user}
          user:
            {credentials}
        contexts:
        - name: host
          context:
            cluster: host
            user: {user}
        current-context: host

        """;

    private static string Base64(string text) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text));

    private LoggedProcess Start(string binary, string log, params string[] args)
    {
        var process = LoggedProcess.Start(binary, args, Path.Combine(Dir, log));
        _processes.Add(process);
        return process;
    }

    private async Task WaitAsync(LoggedProcess process, TimeSpan timeout, Func<HttpClient, Task<bool>> ready)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"{process.Name} exited during start-up\n{Logs()}");
            try
            {
                if (await ready(http)) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or k8s.Autorest.HttpOperationException)
            {
                last = e;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"{process.Name} was not ready after {timeout.TotalSeconds}s ({last?.Message})\n{Logs()}");
    }

    public async Task DisposeAsync()
    {
        Kubernetes?.Dispose();
        // Controllers first, etcd last: each stops while what it talks to is still there; one that fails to stop
        // does not keep the others running.
        var failures = new List<Exception>();
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            try
            {
                await _processes[i].DisposeAsync();
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
            {
                failures.Add(e);
            }
        }
        _processes.Clear();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
        if (failures.Count > 0) throw new AggregateException("stopping the host cluster's processes", failures);
    }
}
