using System.Diagnostics;

namespace ClusterRegistry.Tests;

/// <summary>
/// Makes files or directories unwritable until disposed, in a way that also binds root (tests run as root, and root
/// ignores permission bits): the immutable attribute (<c>chattr +i</c>) as root, write bits removed otherwise.
/// </summary>
public sealed class Unwritable : IDisposable
{
    private readonly List<(string Path, UnixFileMode? Mode)> _paths = [];

    public Unwritable(params string[] paths)
    {
        foreach (var path in paths)
        {
            if (Environment.IsPrivilegedProcess)
            {
                Chattr("+i", path);
                _paths.Add((path, null));
            }
            else if (!OperatingSystem.IsWindows())
            {
                var mode = File.GetUnixFileMode(path);
                File.SetUnixFileMode(path, mode & ~(UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
                _paths.Add((path, mode));
            }
            else
            {
                throw new PlatformNotSupportedException("read-only files are made with chattr or Unix file modes");
            }
        }
    }

    private static void Chattr(string flag, string path)
    {
        using var chattr = Process.Start(new ProcessStartInfo("chattr", [flag, path]) { RedirectStandardError = true })
            ?? throw new InvalidOperationException("cannot run chattr");
        var error = chattr.StandardError.ReadToEnd();
        chattr.WaitForExit();
        // Fail loudly: a test that could not make the file read-only would pass without testing anything.
        if (chattr.ExitCode != 0) throw new InvalidOperationException($"chattr {flag} {path} failed: {error}");
    }

    public void Dispose()
    {
        foreach (var (path, mode) in _paths)
        {
            if (mode is { } m && !OperatingSystem.IsWindows()) File.SetUnixFileMode(path, m);
            else Chattr("-i", path);
        }
        _paths.Clear();
    }
}
