using ClusterRegistry.Tests.EndToEnd.Deploy;
using k8s.Models;

namespace ClusterRegistry.Tests.EndToEnd.Crinit;

/// <summary>
/// The kubelet's part, which the test host cluster lacks: runs the container of the Deployment crinit made, under
/// Docker, as its pod would run — the same image, command and arguments, the credentials Secret's keys as files at
/// the Secret volume's mount path, the pod's user, a read-only root file system with /tmp and the data directory
/// writable — and publishes its port at the address crinit advertised.
/// </summary>
public sealed class RegistryPod : IAsyncDisposable
{
    private readonly string _dir;

    private RegistryPod(string name, string dir, string url)
    {
        Name = name;
        _dir = dir;
        Url = url;
    }

    public string Name { get; }
    public string Url { get; }

    public static async Task<RegistryPod> StartAsync(V1Deployment deployment, V1Secret secret, string hostAddress, int hostPort)
    {
        var pod = deployment.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);
        var dir = Directory.CreateTempSubdirectory("crinit-pod-").FullName;
        var files = await WriteSecretAsync(secret, Path.Combine(dir, "secret"));
        var mounts = new List<string>();
        foreach (var mount in container.VolumeMounts)
        {
            var volume = pod.Volumes.Single(v => v.Name == mount.Name);
            string source;
            if (volume.Secret is { } s)
            {
                Assert.Equal(secret.Metadata.Name, s.SecretName);
                source = files;
            }
            else
            {
                // An emptyDir or the claim's volume: writable by the pod's fsGroup, as the kubelet makes it.
                source = Directory.CreateDirectory(Path.Combine(dir, mount.Name)).FullName;
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(source, (UnixFileMode)0b111_111_111);
            }
            mounts.AddRange(["-v", $"{source}:{mount.MountPath}{(mount.ReadOnlyProperty == true ? ":ro" : "")}"]);
        }
        var user = $"{pod.SecurityContext.RunAsUser}:{pod.SecurityContext.RunAsGroup}";
        var port = container.Ports.Single(p => p.Name == "https").ContainerPort;
        var name = "crinit-pod-" + Guid.NewGuid().ToString("N")[..10];
        var args = new List<string> { "run", "-d", "--name", name, "--label", "org.testcontainers=true", "--user", user };
        if (container.SecurityContext.ReadOnlyRootFilesystem == true) args.Add("--read-only");
        if (container.SecurityContext.AllowPrivilegeEscalation == false) args.AddRange(["--security-opt", "no-new-privileges"]);
        args.AddRange(["--cap-drop", "ALL", "-p", $"{hostAddress}:{hostPort}:{port}"]);
        args.AddRange(mounts);
        args.AddRange(["--entrypoint", container.Command[0], container.Image]);
        args.AddRange(container.Command.Skip(1));
        args.AddRange(container.Args);
        var url = hostPort == 443 ? $"https://{hostAddress}" : $"https://{hostAddress}:{hostPort}";
        var running = new RegistryPod(name, dir, url);
        try
        {
            await DockerCli.CheckedAsync([.. args]);
            // The Deployment's readiness probe.
            await DockerCli.WaitReadyAsync(name, url);
        }
        catch
        {
            // The caller gets no pod to dispose: a container that started but never became ready goes here.
            await running.DisposeAsync();
            throw;
        }
        return running;
    }

    /// <summary>Writes each key of the Secret as a file, as a Secret volume holds them; returns the directory.</summary>
    public static async Task<string> WriteSecretAsync(V1Secret secret, string dir)
    {
        Directory.CreateDirectory(dir);
        foreach (var (key, value) in secret.Data)
        {
            var path = Path.Combine(dir, key);
            await File.WriteAllBytesAsync(path, value);
            // A Secret volume's default mode, 0644.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        return dir;
    }

    public async ValueTask DisposeAsync()
    {
        await DockerCli.RunAsync("rm", "-f", Name);
        // Files the container wrote belong to its user; root (the tests' user here) removes them anyway.
        try { Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
