using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Crinit;

/// <summary>
/// What each crinit test against a real host cluster starts from: a directory of its own, removed afterwards, and
/// in it the user's kubeconfig, a copy of the host's admin one (crinit adds its entry there, next to the host context).
/// </summary>
public abstract class CrinitHostTests(HostCluster host) : IDisposable
{
    protected HostCluster Host => host;

    protected string Dir { get; } = Directory.CreateTempSubdirectory("crinit-e2e-").FullName;

    /// <summary>A fresh copy of the host's admin kubeconfig in <see cref="Dir"/>.</summary>
    protected string UserKubeconfig()
    {
        var path = Path.Combine(Dir, "config");
        File.Copy(host.Kubeconfig, path, true);
        return path;
    }

    /// <summary>A loopback address of the test's own, so a registry can be published on 443, the Service's port.</summary>
    protected static string LoopbackAddress() => $"127.0.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(2, 255)}";

    public void Dispose()
    {
        Directory.Delete(Dir, true);
        GC.SuppressFinalize(this);
    }
}
