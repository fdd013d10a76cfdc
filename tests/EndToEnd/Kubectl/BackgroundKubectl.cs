using System.Diagnostics;

namespace ClusterRegistry.Tests.EndToEnd.KubectlSuite;

/// <summary>
/// A kubectl process running in the background (<c>get -w</c>, <c>wait</c>). Its stdout and stderr are collected
/// line by line; waits for a line are bounded and return null when the bound elapses. Disposing kills the process.
/// </summary>
public sealed class BackgroundKubectl : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _args;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    public BackgroundKubectl(Process process, string args)
    {
        _process = process;
        _args = args;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_stdout) _stdout.Add(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_stderr) _stderr.Add(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Stdout
    {
        get { lock (_stdout) return string.Join('\n', _stdout); }
    }

    public string Stderr
    {
        get { lock (_stderr) return string.Join('\n', _stderr); }
    }

    public IReadOnlyList<string> StdoutLines
    {
        get { lock (_stdout) return [.. _stdout]; }
    }

    public Task<string?> WaitForStdoutAsync(Func<string, bool> match, int seconds = 30) => WaitForAsync(_stdout, match, seconds);

    public Task<string?> WaitForStderrAsync(Func<string, bool> match, int seconds = 30) => WaitForAsync(_stderr, match, seconds);

    /// <summary>Waits for the process to end on its own; null when it is still running after the bound.</summary>
    public async Task<int?> WaitForExitAsync(int seconds = 60)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public override string ToString() => $"kubectl {_args}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";

    private async Task<string?> WaitForAsync(List<string> lines, Func<string, bool> match, int seconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var exited = _process.HasExited;
            if (exited) await _process.WaitForExitAsync(); // drains the redirected streams
            lock (lines)
            {
                var hit = lines.FirstOrDefault(match);
                if (hit is not null) return hit;
            }
            if (exited || DateTime.UtcNow > deadline) return null;
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _process.Dispose();
    }
}
