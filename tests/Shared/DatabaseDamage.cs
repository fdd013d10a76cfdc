using System.Diagnostics;

namespace ClusterRegistry.Tests;

/// <summary>Damages a SQLite file the way a bad disk or a stray write would: garbage inside pages, the header kept.</summary>
public static class DatabaseDamage
{
    /// <summary>
    /// Overwrites the first 400 bytes (the b-tree page header and cell pointers) of every seventh page from page 3 on
    /// (page 1, with the file header, stays intact). Written by <c>dd</c> in another process: the store holds an
    /// exclusive lock on the file, and closing a descriptor of our own on it would drop the POSIX locks SQLite holds in
    /// this process.
    /// </summary>
    public static void GarbagePages(string databasePath)
    {
        var garbage = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(garbage, Enumerable.Range(0, 400).Select(i => (byte)(i % 2 == 0 ? 0xde : 0xad)).ToArray());
            var pages = new FileInfo(databasePath).Length / 4096;
            Assert.True(pages > 4, $"{databasePath} has only {pages} pages; write more before damaging it");
            for (var page = 2L; page < pages; page += 7)
            {
                using var dd = Process.Start(new ProcessStartInfo("dd",
                    [$"if={garbage}", $"of={databasePath}", "bs=1", $"seek={page * 4096}", "count=400", "conv=notrunc", "status=none"]))!;
                dd.WaitForExit();
                Assert.Equal(0, dd.ExitCode);
            }
        }
        finally
        {
            File.Delete(garbage);
        }
    }
}
