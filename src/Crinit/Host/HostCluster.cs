using ClusterRegistry.Crinit.Cli;
using ClusterRegistry.Crinit.Kubeconfig;
using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;

namespace ClusterRegistry.Crinit.Host;

/// <summary>The host cluster crinit installs into: a client for the chosen kubeconfig context, and where it points.</summary>
public sealed class HostCluster(IKubernetes client, string server, string context) : IDisposable
{
    public IKubernetes Client { get; } = client;
    public string Server { get; } = server;
    public string Context { get; } = context;

    public static HostCluster Connect(KubeconfigLocation location, string? context)
    {
        var files = location.Existing.Select(f => new FileInfo(f)).ToArray();
        if (files.Length == 0)
            throw new CrinitException($"no kubeconfig at {string.Join(", ", location.Files)}: give --kubeconfig, set KUBECONFIG, or create ~/.kube/config for the host cluster");
        try
        {
            var merged = Merge(files.Select(f => KubernetesClientConfiguration.LoadKubeConfig(f)).ToList());
            var config = KubernetesClientConfiguration.BuildConfigFromConfigObject(merged, context);
            var name = context ?? merged.CurrentContext ?? "";
            return new HostCluster(new Kubernetes(config), config.Host, name);
        }
        catch (KubeConfigException e)
        {
            throw new CrinitException($"cannot use the kubeconfig ({string.Join(", ", location.Existing)}): {e.Message}; pick a context with --host-cluster-context", e);
        }
    }

    /// <summary>
    /// KUBECONFIG's merge (the first file naming an entry or the current context wins). KubernetesClient merges
    /// lists only internally, so its public single-file loader is used per file.
    /// </summary>
    private static K8SConfiguration Merge(List<K8SConfiguration> configs)
    {
        var merged = configs[0];
        foreach (var next in configs.Skip(1))
        {
            merged.CurrentContext = string.IsNullOrEmpty(merged.CurrentContext) ? next.CurrentContext : merged.CurrentContext;
            merged.Clusters = Union(merged.Clusters, next.Clusters, c => c.Name);
            merged.Users = Union(merged.Users, next.Users, u => u.Name);
            merged.Contexts = Union(merged.Contexts, next.Contexts, c => c.Name);
        }
        return merged;
    }

    private static List<T> Union<T>(IEnumerable<T>? first, IEnumerable<T>? second, Func<T, string> name) =>
        (first ?? []).Concat(second ?? []).DistinctBy(name).ToList();

    /// <summary>Runs a host call, explaining any failure in one line.</summary>
    public async Task<T> CallAsync<T>(string action, Func<IKubernetes, Task<T>> call)
    {
        try
        {
            return await call(Client);
        }
        catch (Exception e) when (e is not OperationCanceledException || e is TaskCanceledException)
        {
            throw HostErrors.Explain(e, action, Server, Context);
        }
    }

    /// <summary>Like <see cref="CallAsync{T}"/>, but NotFound is null rather than an error.</summary>
    public async Task<T?> ReadOrNullAsync<T>(string action, Func<IKubernetes, Task<T>> call) where T : class
    {
        try
        {
            return await CallAsync(action, call);
        }
        catch (CrinitException e) when (e.InnerException is { } inner && HostErrors.IsNotFound(inner))
        {
            return null;
        }
    }

    public void Dispose() => Client.Dispose();
}
