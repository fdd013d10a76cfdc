using ClusterRegistry.Crinit.Cli;
using k8s.Models;

namespace ClusterRegistry.Tests.Crinit;

public sealed class CommandLineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crinit-cli-").FullName;

    private static async Task<(int Exit, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CrinitCommand.Build(stdout, stderr).Parse(args).InvokeAsync();
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task DryRun_PrintsYamlDocuments_TheKubernetesClientReadsBack()
    {
        var (exit, yaml, stderr) = await Run("aggregated", "init", "reg", "--dry-run", "--cluster-registry-namespace", "registry");
        Assert.Equal(0, exit);
        Assert.Contains("nothing was sent", stderr);
        var objects = k8s.KubernetesYaml.LoadAllFromString(yaml, new Dictionary<string, Type>
        {
            ["apiregistration.k8s.io/v1/APIService"] = typeof(V1APIService),
        });
        Assert.Equal(
            ["Namespace", "Service", "Secret", "Secret", "PersistentVolumeClaim", "ServiceAccount", "ClusterRoleBinding", "RoleBinding", "Deployment", "APIService"],
            objects.Select(o => ((k8s.IKubernetesObject)o).Kind));
        var service = objects.OfType<V1Service>().Single();
        Assert.Equal(("registry", "NodePort"), (service.Metadata.NamespaceProperty, service.Spec.Type));
        Assert.Equal("registry", objects.OfType<V1APIService>().Single().Spec.Service.NamespaceProperty);
        Assert.Equal(objects.Count, yaml.Split("---\n").Length);
    }

    [Fact]
    public async Task DryRun_Json_IsAv1List()
    {
        var (exit, json, _) = await Run("standalone", "init", "reg", "--dry-run", "-o", "json", "--etcd-servers", "https://etcd:2379");
        Assert.Equal(0, exit);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal("List", doc.RootElement.GetProperty("kind").GetString());
        Assert.Equal(["Namespace", "Service", "Secret", "Secret", "Deployment"],
            doc.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("kind").GetString()));
    }

    [Theory]
    [InlineData("yaml")]
    [InlineData("json")]
    public async Task DryRun_PrintsNoSecretMaterial_UnlessAskedTo(string format)
    {
        string[] args = ["standalone", "init", "reg", "--dry-run", "-o", format, "--apiserver-enable-token-auth", "--postgres-connection-string", "Host=db;Password=hunter2"];
        var (exit, redacted, stderr) = await Run(args);
        Assert.Equal(0, exit);
        Assert.DoesNotContain("PRIVATE KEY", redacted);
        Assert.DoesNotContain("hunter2", redacted);
        // Every Secret value is the placeholder, under its key: 2 keys in the CA Secret, 5 in the credentials Secret.
        Assert.Equal(8, redacted.Split(ClusterRegistry.Crinit.Manifests.DryRun.Redacted).Length);
        Assert.DoesNotContain("token.csv: ", redacted.Replace("token.csv: " + ClusterRegistry.Crinit.Manifests.DryRun.Redacted, "", StringComparison.Ordinal));
        Assert.Contains("--dry-run-include-secrets", stderr);

        var (exitWith, included, stderrWith) = await Run([.. args, "--dry-run-include-secrets"]);
        Assert.Equal(0, exitWith);
        Assert.DoesNotContain(ClusterRegistry.Crinit.Manifests.DryRun.Redacted, included);
        Assert.Contains("keep it out of repositories and logs", stderrWith);
        // The keys are base64 in data, as kubectl apply takes them.
        var secrets = format == "yaml"
            ? k8s.KubernetesYaml.LoadAllFromString(included).OfType<V1Secret>().ToList()
            : k8s.KubernetesJson.Deserialize<V1SecretList>(included).Items.Where(i => i.Kind == "Secret").ToList();
        var data = secrets.SelectMany(x => x.Data).ToDictionary(kv => kv.Key, kv => System.Text.Encoding.UTF8.GetString(kv.Value));
        Assert.Contains("PRIVATE KEY", data["tls.key"]);
        Assert.Contains("PRIVATE KEY", data["server.key"]);
        Assert.Contains("hunter2", data["postgres-connection-string"]);
        Assert.Contains(",admin,", data["token.csv"]);
    }

    [Fact]
    public async Task IncludeSecrets_WithoutDryRun_IsRefused()
    {
        var (exit, _, stderr) = await Run("standalone", "init", "reg", "--dry-run-include-secrets", "--kubeconfig", Path.Combine(_dir, "none"));
        Assert.Equal(2, exit);
        Assert.Equal("error: --dry-run-include-secrets needs --dry-run\n", stderr);
    }

    [Theory]
    [InlineData("--etcd-image=k8s.gcr.io/etcd:3.0.17", "no longer runs an unauthenticated etcd sidecar")]
    [InlineData("--apiserver-enable-basic-auth", "basic authentication was removed")]
    [InlineData("--api-server-advertise-address=10.0.0.1", "needs --api-server-service-type=NodePort")]
    [InlineData("--api-server-port=30000", "needs --api-server-service-type=NodePort")]
    [InlineData("--api-server-service-type=ClusterIP", "must be LoadBalancer or NodePort")]
    [InlineData("--output=yaml", "needs --dry-run")]
    [InlineData("--apiserver-arg-overrides=secure-port=1", "must be a flag with its dashes")]
    [InlineData("--wait-timeout=soon", "is not a duration")]
    [InlineData("--etcd-servers=etcd:2379", "is not an http(s) URL")]
    [InlineData("--image-pull-policy=Sometimes", "must be Always, IfNotPresent or Never")]
    public async Task WrongFlags_AreOneLineErrors_WithExit2(string flag, string message)
    {
        var (exit, stdout, stderr) = await Run("standalone", "init", "reg", flag);
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task StorageFlags_ThatContradict_AreRefused()
    {
        var (exit, _, stderr) = await Run("standalone", "init", "reg", "--etcd-servers=https://e:2379", "--postgres-connection-string=Host=db");
        Assert.Equal(2, exit);
        Assert.Contains("exclude each other", stderr);
        (exit, _, stderr) = await Run("standalone", "init", "reg", "--etcd-servers=https://e:2379", "--etcd-pv-capacity=1Gi");
        Assert.Equal(2, exit);
        Assert.Contains("--etcd-pv-capacity set the embedded store's volume", stderr);
    }

    [Theory]
    [InlineData("Reg")]
    [InlineData("1reg")]
    [InlineData("reg-")]
    [InlineData("a-name-that-is-far-too-long-for-a-service-name")]
    public async Task Names_ThatCannotNameAService_AreRefused(string name)
    {
        var (exit, _, stderr) = await Run("standalone", "init", name, "--dry-run");
        Assert.Equal(2, exit);
        Assert.Contains("names a Service", stderr);
    }

    [Fact]
    public async Task Delete_DryRun_SaysWhatItWouldRemove_AndRemovesNothing()
    {
        var (exit, stdout, _) = await Run("aggregated", "delete", "reg", "--dry-run", "--kubeconfig", Path.Combine(_dir, "none"));
        Assert.Equal(0, exit);
        var lines = stdout.Split('\n');
        Assert.Contains(lines, l => l.Trim() == "apiservice v1alpha1.clusterregistry.k8s.io");
        Assert.True(Array.FindIndex(lines, l => l.Contains("apiservice", StringComparison.Ordinal)) < Array.FindIndex(lines, l => l.Contains("namespace", StringComparison.Ordinal)));
        Assert.False(File.Exists(Path.Combine(_dir, "none")));
    }

    [Fact]
    public async Task NoKubeconfig_IsExplained()
    {
        var (exit, _, stderr) = await Run("standalone", "init", "reg", "--kubeconfig", Path.Combine(_dir, "missing"));
        Assert.Equal(1, exit);
        Assert.Contains("no kubeconfig at", stderr);
        Assert.Contains("--kubeconfig", stderr);
    }

    [Fact]
    public async Task AnUnreachableHost_IsExplainedInOneLine()
    {
        // A loopback port nothing listens on (bound and released here): the connection is refused at once.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var kubeconfig = Path.Combine(_dir, "config");
        await File.WriteAllTextAsync(kubeconfig, $$"""
            apiVersion: v1
            kind: Config
            current-context: host
            clusters:
            - name: host
              cluster: {server: "https://127.0.0.1:{{port}}", insecure-skip-tls-verify: true}
            users:
            - name: host
              user: {token: abc}
            contexts:
            - name: host
              context: {cluster: host, user: host}
            """);
        var (exit, _, stderr) = await Run("standalone", "init", "reg", "--kubeconfig", kubeconfig);
        Assert.Equal(1, exit);
        Assert.Contains($"cannot reach the host cluster at https://127.0.0.1:{port} ", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        (exit, _, stderr) = await Run("standalone", "init", "reg", "--kubeconfig", kubeconfig, "--host-cluster-context", "nope");
        Assert.Equal(1, exit);
        Assert.Contains("nope", stderr);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("3m", 180)]
    [InlineData("1m30s", 90)]
    [InlineData("1h", 3600)]
    public void Durations_AreKubectlStyle(string text, int seconds)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
        Assert.True(Durations.TryParse(Durations.Format(value), out var again));
        Assert.Equal(value, again);
    }

    public void Dispose() => Directory.Delete(_dir, true);
}
