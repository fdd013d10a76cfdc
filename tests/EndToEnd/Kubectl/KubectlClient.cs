using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.KubectlSuite;

/// <summary>
/// A kubectl binary bound to one kubeconfig and one cache directory, run through the shared <see cref="Kubectl"/>
/// harness; <see cref="RunWithEnvironmentAsync"/> adds environment variables (e.g. <c>EDITOR</c> for <c>kubectl edit</c>).
/// </summary>
public sealed class KubectlClient(string binary, string kubeconfig, string cacheDir)
{
    private readonly Kubectl _kubectl = new(binary, kubeconfig, cacheDir);

    public string Binary => binary;

    public Task<Kubectl.Result> RunAsync(string args, string? stdin = null, int timeoutSeconds = 60) =>
        _kubectl.RunAsync(args, stdin, timeoutSeconds);

    /// <summary>Starts a long-running kubectl (get -w, wait) whose output the test reads line by line.</summary>
    public BackgroundKubectl Start(string args) => new(_kubectl.Start(args), args);

    public Task<Kubectl.Result> RunWithEnvironmentAsync(string args, IReadOnlyDictionary<string, string> environment, int timeoutSeconds = 60) =>
        _kubectl.RunAsync(args, null, timeoutSeconds, environment);
}
