using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Deploy;

/// <summary>
/// The server's image (<c>CLUSTERREGISTRY_IMAGE</c>, default <c>clusterregistry:local</c>, built by
/// <c>bash .ci/image.sh</c> when missing) running under Docker with its data on a named volume and its port published
/// on a loopback address only. The container can be restarted or replaced; the volume outlives both.
/// </summary>
public sealed class ContainerImageFixture : IAsyncLifetime
{
    public const string DataDir = "/var/lib/clusterregistry";
    public string Image { get; } = Environment.GetEnvironmentVariable("CLUSTERREGISTRY_IMAGE") is { Length: > 0 } i ? i : "clusterregistry:local";
    public string Volume { get; } = "clusterregistry-e2e-" + Guid.NewGuid().ToString("N")[..10];
    public string WorkDir { get; } = Directory.CreateTempSubdirectory("clusterregistry-image-e2e-").FullName;
    private readonly List<string> _containers = [];

    /// <summary>The running container and the URL it was told (--external-url) clients reach it at.</summary>
    public string Container { get; private set; } = "";
    public string ExternalUrl { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if ((await DockerCli.RunAsync("image", "inspect", Image)).ExitCode != 0)
        {
            Assert.True(Image == "clusterregistry:local", $"image {Image} (CLUSTERREGISTRY_IMAGE) is not present");
            var root = RepositoryRoot();
            var build = await DockerCli.RunAsync("bash", [Path.Combine(root, ".ci", "image.sh")], TimeSpan.FromMinutes(20), root);
            Assert.True(build.ExitCode == 0, $"bash .ci/image.sh\n{build}");
        }
        // Labelled like Testcontainers' resources, so .ci/run's cleanup of an interrupted run removes it too.
        await DockerCli.CheckedAsync("volume", "create", "--label", "org.testcontainers=true", Volume);
        // 127.0.0.2, not 127.0.0.1: the generated certificate has 127.0.0.1 anyway, so this checks --external-url's SAN.
        await StartAsync("127.0.0.2");
    }

    /// <summary>Runs a new container of the image on the volume, published at <paramref name="hostAddress"/> (loopback), and waits until it is ready.</summary>
    public async Task StartAsync(string hostAddress)
    {
        var port = ServerProcess.FreePort();
        var name = Volume + "-" + (_containers.Count + 1);
        ExternalUrl = $"https://{hostAddress}:{port}";
        await DockerCli.CheckedAsync("run", "-d", "--name", name, "--label", "org.testcontainers=true",
            "-p", $"{hostAddress}:{port}:6443", "-v", $"{Volume}:{DataDir}", Image, "--external-url", ExternalUrl);
        _containers.Add(name);
        Container = name;
        await WaitReadyAsync();
    }

    public async Task RestartAsync()
    {
        await DockerCli.CheckedAsync("restart", Container);
        await WaitReadyAsync();
    }

    /// <summary>Stops and removes the current container; the volume stays.</summary>
    public Task RemoveAsync() => DockerCli.CheckedAsync("rm", "-f", Container);

    /// <summary>Copies the kubeconfig the server wrote into the volume out to the host (the image has no shell to cat it).</summary>
    public async Task<string> CopyKubeconfigAsync(string name)
    {
        var path = Path.Combine(WorkDir, name);
        await DockerCli.CheckedAsync("cp", $"{Container}:{DataDir}/kubeconfig", path);
        return path;
    }

    public Kubectl Kubectl(string kubeconfig) => new(Infrastructure.Kubectl.V132, kubeconfig, Path.Combine(WorkDir, "kubectl-cache"));

    private Task WaitReadyAsync() => DockerCli.WaitReadyAsync(Container, ExternalUrl);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ClusterRegistry.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root (ClusterRegistry.sln) not found above " + AppContext.BaseDirectory);
    }

    public async Task DisposeAsync()
    {
        foreach (var c in _containers) await DockerCli.RunAsync("rm", "-f", c);
        await DockerCli.RunAsync("volume", "rm", "-f", Volume);
        Directory.Delete(WorkDir, recursive: true);
    }
}
