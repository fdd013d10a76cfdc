using System.Diagnostics;

namespace ClusterRegistry.Tests.EndToEnd.Infrastructure;

/// <summary>
/// A background binary whose stdout and stderr go to a log file (kube-apiserver logs megabytes; a file keeps them
/// out of the test process and readable after a failure), stopped with SIGTERM and then killed. Every process the
/// tests run in the background (the server, kube-apiserver, etcd) runs as one.
/// </summary>
public sealed class LoggedProcess : IAsyncDisposable
{
    private readonly Process _process;

    private LoggedProcess(Process process, string name, string logPath)
    {
        _process = process;
        Name = name;
        LogPath = logPath;
    }

    public string Name { get; }
    public string LogPath { get; }
    public bool HasExited => _process.HasExited;
    public int Id => _process.Id;

    /// <summary>Starts <paramref name="binary"/> (found on PATH) with <paramref name="environment"/> added to the tests' environment.</summary>
    public static LoggedProcess Start(string binary, IEnumerable<string> args, string logPath, IReadOnlyDictionary<string, string>? environment = null)
    {
        // The shell only redirects; exec makes the binary itself the process we signal.
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" \"$@\" >\"$LOGGED_PROCESS_LOG\" 2>&1");
        psi.ArgumentList.Add(binary);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        psi.Environment["LOGGED_PROCESS_LOG"] = logPath;
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + binary);
        return new LoggedProcess(process, Path.GetFileName(binary), logPath);
    }

    /// <summary>Everything the process has printed so far (empty before its first line).</summary>
    public string Log => ReadLog() ?? "";

    /// <summary>The last <paramref name="lines"/> lines of the log, for failure messages.</summary>
    public string Tail(int lines = 40)
    {
        if (ReadLog() is not { } text) return $"--- {Name}: no log at {LogPath}";
        // A Go crash ends in a dump of every goroutine; the cause is just above the first one.
        var dump = text.IndexOf("\ngoroutine ", StringComparison.Ordinal);
        var all = (dump >= 0 ? text[..dump] : text).Split('\n');
        return $"--- {Name} ({LogPath}), last {lines} lines:\n" + string.Join('\n', all.TakeLast(lines));
    }

    private string? ReadLog()
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return new StreamReader(stream).ReadToEnd();
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Stops the process: SIGTERM, and a kill when it has not exited after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited) return;
        try
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit();
            using var cts = new CancellationTokenSource(grace);
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    /// <summary>Kills the process at once (SIGKILL: no shutdown, no flush), as a crash would.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }
}
