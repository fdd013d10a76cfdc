using System.Diagnostics;

namespace ClusterRegistry.Tests.EndToEnd.Client;

/// <summary>Runs a Python script that uses the official client, bounded and never left running.</summary>
internal static class PythonRunner
{
    private const string Python = "/usr/bin/python3";

    /// <summary>The script's exit code and output; a run past 90 s is killed and fails with what it wrote.</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string script, params string[] args)
    {
        if (!File.Exists(Python)) throw new InvalidOperationException($"{Python} is missing");
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"the python client did not finish in 90 s:\n{await stdout}\n{await stderr}");
        }
        var err = await stderr;
        if (err.Contains("No module named 'kubernetes'"))
            throw new InvalidOperationException("python3-kubernetes is not installed (apt-get install -y python3-kubernetes):\n" + err);
        return (p.ExitCode, await stdout, err);
    }
}
