using System.Diagnostics;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.KubectlSuite;

/// <summary>
/// A kubectl binary bound to one kubeconfig and one cache directory. Ordinary runs and background runs go
/// through the shared <see cref="Kubectl"/> harness; <see cref="RunWithEnvironmentAsync"/> adds environment
/// variables (e.g. <c>EDITOR</c> for <c>kubectl edit</c>), which that harness cannot pass.
/// </summary>
public sealed class KubectlClient(string binary, string kubeconfig, string cacheDir)
{
    private readonly Kubectl _kubectl = new(binary, kubeconfig, cacheDir);

    public string Binary => binary;

    public Task<Kubectl.Result> RunAsync(string args, string? stdin = null, int timeoutSeconds = 60) =>
        _kubectl.RunAsync(args, stdin, timeoutSeconds);

    /// <summary>Starts a long-running kubectl (get -w, wait) whose output the test reads line by line.</summary>
    public BackgroundKubectl Start(string args) => new(_kubectl.Start(args), args);

    public async Task<Kubectl.Result> RunWithEnvironmentAsync(string args, IReadOnlyDictionary<string, string> environment, int timeoutSeconds = 60)
    {
        var psi = new ProcessStartInfo("/bin/sh", ["-c", $"exec {binary} --kubeconfig {kubeconfig} --cache-dir {cacheDir} {args}"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + binary);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {args} did not finish in {timeoutSeconds}s: {await stdout} {await stderr}");
        }
        return new Kubectl.Result(p.ExitCode, await stdout, await stderr);
    }
}
