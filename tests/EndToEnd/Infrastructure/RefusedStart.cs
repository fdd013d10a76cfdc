using System.Diagnostics;

namespace ClusterRegistry.Tests.EndToEnd.Infrastructure;

/// <summary>A server that is expected to refuse to start: how it exited and everything it printed.</summary>
public sealed record RefusedStart(int ExitCode, string Output)
{
    /// <summary>Runs <c>clusterregistry standalone</c> on <paramref name="dataDir"/> (plus <paramref name="extraArgs"/>) and waits for it to exit (it is killed after 60 s).</summary>
    public static Task<RefusedStart> RunAsync(string dataDir, params string[] extraArgs) =>
        RunCommandAsync(["standalone", "--data-dir", dataDir, "--secure-port", ServerProcess.FreePort().ToString(), .. extraArgs]);

    /// <summary>Runs <c>clusterregistry ARGS</c> and waits for it to exit (it is killed after 60 s).</summary>
    public static Task<RefusedStart> RunCommandAsync(params string[] args) => RunCommandAsync(new Dictionary<string, string>(), args);

    /// <summary>As above, with <paramref name="environment"/> added to the server's environment.</summary>
    public static async Task<RefusedStart> RunCommandAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args.Prepend(ServerProcess.ServerDll))
            psi.ArgumentList.Add(a);
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the server");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException("the server started instead of refusing:\n" + await stdout + await stderr);
        }
        return new RefusedStart(process.ExitCode, await stdout + await stderr);
    }

    /// <summary>
    /// Asserts a refusal as an operator should see it: a non-zero exit and exactly one line, naming
    /// <paramref name="expected"/>, with no unhandled exception or stack trace. Returns that line.
    /// </summary>
    public string AssertOneLine(string expected)
    {
        Assert.True(ExitCode != 0, $"exit code 0:\n{Output}");
        Assert.DoesNotContain("Unhandled exception", Output);
        Assert.DoesNotContain("   at ", Output);
        var lines = Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.Contains("clusterregistry: ", line);
        Assert.Contains(expected, line);
        return line;
    }
}
