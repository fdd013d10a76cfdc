using ClusterRegistry.Tests.EndToEnd.Deploy;

namespace ClusterRegistry.Tests.EndToEnd.Crinit;

/// <summary>The real <c>crinit</c> executable (src/Crinit, built beside the tests), run as a user runs it.</summary>
public static class CrinitCli
{
    public static string Dll
    {
        get
        {
            var server = Infrastructure.ServerProcess.ServerDll;
            var config = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(server))!);
            var root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(server)!, "..", "..", "..", "..", ".."));
            return Path.Combine(root, "src", "Crinit", "bin", config, "net10.0", "crinit.dll");
        }
    }

    /// <summary>Runs crinit to the end; a run that does not end in <paramref name="timeout"/> fails the test.</summary>
    public static Task<DockerCli.Result> RunAsync(TimeSpan timeout, params string[] args) =>
        DockerCli.RunAsync("dotnet", args.Prepend(Dll), timeout);

    /// <summary>Runs crinit and fails the test, with its output, unless it exits 0.</summary>
    public static async Task<DockerCli.Result> OkAsync(TimeSpan timeout, params string[] args)
    {
        var r = await RunAsync(timeout, args);
        Assert.True(r.ExitCode == 0, $"crinit {string.Join(' ', args)}\n{r}");
        return r;
    }
}
