using System.Diagnostics;

namespace ClusterRegistry.Tests.EndToEnd.Infrastructure;

/// <summary>Runs a real kubectl binary against a server's kubeconfig, with a private discovery cache.</summary>
public sealed class Kubectl(string binary, string kubeconfig, string cacheDir)
{
    /// <summary>kubectl 1.32 (the machine's) and 1.20 (Debian's kubernetes-client, unpacked by CI).</summary>
    public const string V132 = "/usr/bin/kubectl";
    public static readonly string V120 = Environment.GetEnvironmentVariable("KUBECTL_1_20") ?? "/opt/kubectl-1.20/usr/bin/kubectl";

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    /// <summary>Runs <c>kubectl ARGS</c> to its end; <paramref name="environment"/> is added to its environment (e.g. <c>EDITOR</c> for <c>kubectl edit</c>).</summary>
    public async Task<Result> RunAsync(string args, string? stdin = null, int timeoutSeconds = 60, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("/bin/sh", ["-c", $"exec {binary} --kubeconfig {kubeconfig} --cache-dir {cacheDir} {args}"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["KUBECTL_EXTERNAL_DIFF"] = "diff -u";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        using var p = Process.Start(psi)!;
        if (stdin is not null) await p.StandardInput.WriteAsync(stdin);
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
            p.Kill(true);
            throw new TimeoutException($"kubectl {args} did not finish in {timeoutSeconds}s: {await stdout} {await stderr}");
        }
        return new Result(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts kubectl in the background (for -w); the caller reads its output and kills it.</summary>
    public Process Start(string args)
    {
        var psi = new ProcessStartInfo("/bin/sh", ["-c", $"exec {binary} --kubeconfig {kubeconfig} --cache-dir {cacheDir} {args}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return Process.Start(psi)!;
    }
}
