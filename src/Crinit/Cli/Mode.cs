namespace ClusterRegistry.Crinit.Cli;

/// <summary>How the registry is reached: on its own endpoint, or through the host's kube-apiserver.</summary>
public enum Mode
{
    Standalone,
    Aggregated,
}
