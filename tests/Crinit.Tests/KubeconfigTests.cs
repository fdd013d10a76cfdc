using ClusterRegistry.Crinit.Kubeconfig;

namespace ClusterRegistry.Tests.Crinit;

public sealed class KubeconfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crinit-kubeconfig-").FullName;

    private const string UsersConfig = """
        apiVersion: v1
        kind: Config
        current-context: prod
        preferences:
          colors: true
        clusters:
        - name: prod
          cluster:
            server: https://prod.example.com:6443
            insecure-skip-tls-verify: true
            extensions:
            - name: client.authentication.k8s.io/exec
              extension: {audience: prod}
        users:
        - name: prod-admin
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1
              command: gke-gcloud-auth-plugin
              provideClusterInfo: true
        contexts:
        - name: prod
          context: {cluster: prod, user: prod-admin, namespace: apps}
        """;

    [Fact]
    public void Upsert_AddsTheEntry_AndKeepsEverythingElse()
    {
        var path = Write("config", UsersConfig);
        var file = KubeconfigFile.Load(path);
        file.Upsert("reg", "https://203.0.113.9", "CA PEM", "CERT PEM", "KEY PEM", "tok");
        file.Save(path);

        var config = k8s.KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(path));
        Assert.Equal("prod", config.CurrentContext);
        Assert.Equal(["prod", "reg"], config.Clusters.Select(c => c.Name));
        Assert.True(config.Clusters.First().ClusterEndpoint.SkipTlsVerify);
        Assert.Equal("gke-gcloud-auth-plugin", config.Users.First().UserCredentials.ExternalExecution.Command);
        Assert.Equal("apps", config.Contexts.First().ContextDetails.Namespace);
        var reg = config.Clusters.Single(c => c.Name == "reg").ClusterEndpoint;
        Assert.Equal("https://203.0.113.9", reg.Server);
        Assert.Equal(Convert.ToBase64String("CA PEM"u8.ToArray()), reg.CertificateAuthorityData);
        var user = config.Users.Single(u => u.Name == "reg").UserCredentials;
        Assert.Equal("tok", user.Token);
        Assert.Equal(Convert.ToBase64String("KEY PEM"u8.ToArray()), user.ClientKeyData);
        var context = config.Contexts.Single(c => c.Name == "reg").ContextDetails;
        Assert.Equal(("reg", "reg"), (context.Cluster, context.User));

        var text = File.ReadAllText(path);
        Assert.Contains("colors: true", text);
        Assert.Contains("audience: prod", text);
        Assert.Contains("provideClusterInfo: true", text);
        Assert.DoesNotContain("...", text);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Upsert_Twice_ReplacesTheEntry_AndReadsBackTheClientCredentials()
    {
        var path = Write("config", UsersConfig);
        foreach (var server in new[] { "https://a", "https://b" })
        {
            var file = KubeconfigFile.Load(path);
            file.Upsert("reg", server, "CA", "CERT " + server, "KEY " + server, null);
            file.Save(path);
        }
        var config = k8s.KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(path));
        Assert.Equal("https://b", config.Clusters.Single(c => c.Name == "reg").ClusterEndpoint.Server);
        Assert.Single(config.Users, u => u.Name == "reg");
        Assert.Single(config.Contexts, c => c.Name == "reg");
        Assert.Equal(("CERT https://b", "KEY https://b"), KubeconfigFile.Load(path).ClientCredentials("reg"));
        Assert.Equal((null, null), KubeconfigFile.Load(path).ClientCredentials("prod-admin"));
    }

    [Fact]
    public void Remove_TakesOnlyTheEntry_AndAMissingFileStartsEmpty()
    {
        var path = Path.Combine(_dir, "new", "config");
        var file = KubeconfigFile.Load(path);
        file.Upsert("reg", "https://a", "CA", "C", "K", null);
        file.Save(path);
        Assert.True(KubeconfigFile.Load(path).HasEntry("reg"));

        var mixed = Write("mixed", UsersConfig);
        var m = KubeconfigFile.Load(mixed);
        m.Upsert("reg", "https://a", "CA", "C", "K", null);
        Assert.Equal(["cluster", "user", "context"], m.Remove("reg"));
        Assert.Empty(m.Remove("reg"));
        m.Save(mixed);
        var config = k8s.KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(mixed));
        Assert.Equal(["prod"], config.Clusters.Select(c => c.Name));
        Assert.Equal(["prod-admin"], config.Users.Select(c => c.Name));
    }

    [Fact]
    public void Location_FollowsClientGosRules()
    {
        var home = Path.Combine(_dir, "home");
        Assert.Equal([Path.Combine(home, ".kube", "config")], KubeconfigLocation.Resolve(null, null, home).Files);
        var a = Path.Combine(_dir, "a");
        var b = Write("b", UsersConfig);
        var c = Write("c", UsersConfig);
        var list = KubeconfigLocation.Resolve(null, string.Join(Path.PathSeparator, a, b, c), home);
        Assert.Equal([a, b, c], list.Files);
        // New entries go to the first existing file; an entry that is already in a file stays there.
        Assert.Equal(b, list.WriteTarget("reg"));
        var inC = KubeconfigFile.Load(c);
        inC.Upsert("reg", "https://x", "CA", "C", "K", null);
        inC.Save(c);
        Assert.Equal(c, list.WriteTarget("reg"));
        Assert.Equal(a, KubeconfigLocation.Resolve(null, a, home).WriteTarget("reg"));
        var explicitPath = KubeconfigLocation.Resolve(a, b, home);
        Assert.Equal([a], explicitPath.Files);
        Assert.Equal(a, explicitPath.WriteTarget("reg"));
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(_dir, true);
}
