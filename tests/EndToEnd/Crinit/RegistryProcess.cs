using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using k8s.Models;

namespace ClusterRegistry.Tests.EndToEnd.Crinit;

/// <summary>
/// The registry of a crinit Deployment run as a process of this branch's build (the image under test is built from
/// main), for modes the image may not have yet: the container's command and arguments, with the Secret's keys as
/// files where the Secret volume would be and the data directory, address and port replaced by the test's.
/// </summary>
public sealed class RegistryProcess : IAsyncDisposable
{
    private readonly LoggedProcess _process;
    private readonly string _dir;

    private RegistryProcess(LoggedProcess process, string dir, string url)
    {
        _process = process;
        _dir = dir;
        Url = url;
    }

    public string Url { get; }
    public string Log => _process.Tail(60);

    public static async Task<RegistryProcess> StartAsync(V1Deployment deployment, V1Secret secret, string address, int port, params string[] extra)
    {
        var container = Assert.Single(deployment.Spec.Template.Spec.Containers);
        var mount = container.VolumeMounts.Single(m => deployment.Spec.Template.Spec.Volumes.Single(v => v.Name == m.Name).Secret is not null);
        var dir = Directory.CreateTempSubdirectory("crinit-registry-").FullName;
        var files = await RegistryPod.WriteSecretAsync(secret, Path.Combine(dir, "secret"));
        var replaced = new[] { "--bind-address=", "--secure-port=", "--data-dir=" };
        var args = container.Args
            .Where(a => !replaced.Any(r => a.StartsWith(r, StringComparison.Ordinal)))
            .Select(a => a.Replace(mount.MountPath + "/", files + "/", StringComparison.Ordinal))
            .Concat([$"--bind-address={address}", $"--secure-port={port}", $"--data-dir={Path.Combine(dir, "data")}"])
            .Concat(extra);
        var process = LoggedProcess.Start("dotnet", [ServerProcess.ServerDll, .. container.Command.Skip(1), .. args], Path.Combine(dir, "registry.log"));
        var running = new RegistryProcess(process, dir, port == 443 ? $"https://{address}" : $"https://{address}:{port}");
        try
        {
            await running.WaitReadyAsync();
        }
        catch
        {
            await running.DisposeAsync();
            throw;
        }
        return running;
    }

    private Task WaitReadyAsync() =>
        Readyz.WaitAsync(Url, () => Task.FromResult(_process.HasExited ? "the registry exited" : null), () => Task.FromResult(Log));

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
