using System.Diagnostics;

namespace ClusterRegistry.Tests.EndToEnd.Deploy;

/// <summary>
/// The docker command line, for what Testcontainers does not model well here: named volumes kept across containers,
/// <c>docker restart</c> and <c>docker cp</c> out of an image that has no shell.
/// </summary>
public static class DockerCli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    /// <summary>Runs <c>docker args...</c>; the Debian daemon here speaks API 1.41, so the client is told so unless set.</summary>
    public static Task<Result> RunAsync(params string[] args) => RunAsync("docker", args, TimeSpan.FromMinutes(2));

    /// <summary>Runs docker and fails the test with its output when it does not exit 0.</summary>
    public static async Task<string> CheckedAsync(params string[] args)
    {
        var r = await RunAsync(args);
        Assert.True(r.ExitCode == 0, $"docker {string.Join(' ', args)}\n{r}");
        return r.Stdout.Trim();
    }

    /// <summary>Waits for the container's /readyz at <paramref name="url"/>; a container that exits meanwhile fails the test with its log.</summary>
    public static Task WaitReadyAsync(string container, string url) => Infrastructure.Readyz.WaitAsync(url,
        async () => await CheckedAsync("inspect", "--format", "{{.State.Status}}", container) is "exited" or "dead" ? $"container {container} exited" : null,
        async () => (await RunAsync("logs", container)) is var logs ? logs.Stdout + logs.Stderr : "");

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_API_VERSION"))) psi.Environment["DOCKER_API_VERSION"] = "1.41";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout}: {await stdout} {await stderr}");
        }
        return new Result(p.ExitCode, await stdout, await stderr);
    }
}
