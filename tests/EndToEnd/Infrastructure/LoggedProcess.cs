using System.Diagnostics;

namespace ClusterRegistry.Tests.EndToEnd.Infrastructure;

/// <summary>
/// A background binary whose stdout and stderr go to a log file (kube-apiserver logs megabytes; a file keeps them
/// out of the test process and readable after a failure), stopped with SIGTERM and then killed.
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

    public static LoggedProcess Start(string binary, IEnumerable<string> args, string logPath)
    {
        // The shell only redirects; exec makes the binary itself the process we signal.
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" \"$@\" >\"$LOGGED_PROCESS_LOG\" 2>&1");
        psi.ArgumentList.Add(binary);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LOGGED_PROCESS_LOG"] = logPath;
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + binary);
        return new LoggedProcess(process, Path.GetFileName(binary), logPath);
    }

    /// <summary>The last <paramref name="lines"/> lines of the log, for failure messages.</summary>
    public string Tail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var text = new StreamReader(stream).ReadToEnd();
            // A Go crash ends in a dump of every goroutine; the cause is just above the first one.
            var dump = text.IndexOf("\ngoroutine ", StringComparison.Ordinal);
            var all = (dump >= 0 ? text[..dump] : text).Split('\n');
            return $"--- {Name} ({LogPath}), last {lines} lines:\n" + string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"--- {Name}: no log ({e.Message})";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit();
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
    }
}
