using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using k8s.Models;

namespace ClusterRegistry.Tests.EndToEnd.Crinit;

/// <summary>
/// The registry of a crinit Deployment run as a server process of this branch's build (the image under test is built from
/// main), for modes the image may not have yet: the container's command and arguments, with the Secret's keys as
/// files where the Secret volume would be and the data directory, address and port replaced by the test's.
/// </summary>
public static class RegistryProcess
{
    public static async Task<ServerProcess> StartAsync(V1Deployment deployment, V1Secret secret, string address, int port, params string[] extra)
    {
        var container = Assert.Single(deployment.Spec.Template.Spec.Containers);
        var mount = container.VolumeMounts.Single(m => deployment.Spec.Template.Spec.Volumes.Single(v => v.Name == m.Name).Secret is not null);
        var dir = Directory.CreateTempSubdirectory("crinit-registry-").FullName;
        var files = await RegistryPod.WriteSecretAsync(secret, Path.Combine(dir, "secret"));
        var data = Path.Combine(dir, "data");
        var replaced = new[] { "--bind-address=", "--secure-port=", "--data-dir=" };
        var args = container.Args
            .Where(a => !replaced.Any(r => a.StartsWith(r, StringComparison.Ordinal)))
            .Select(a => a.Replace(mount.MountPath + "/", files + "/", StringComparison.Ordinal))
            .Concat([$"--bind-address={address}", $"--secure-port={port}", $"--data-dir={data}"])
            .Concat(extra);
        var url = port == 443 ? $"https://{address}" : $"https://{address}:{port}";
        return await ServerProcess.StartArgsAsync([.. container.Command.Skip(1), .. args], url, data, ownedDir: dir);
    }
}
