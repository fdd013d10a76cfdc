using System.Net;
using System.Text.RegularExpressions;
using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using Xunit.Abstractions;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>
/// The real server on a data directory it cannot trust: it refuses to start with one line naming the file (never a
/// stack trace, never a silently new store), and faults met while running are 503 Status with the cause logged once
/// and reported by /readyz.
/// </summary>
public sealed class EmbeddedDataDirectoryTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dataDir = Directory.CreateDirectory(
        Path.Combine(Path.GetTempPath(), "cr-e2e-datadir-" + Guid.NewGuid().ToString("N")[..12])).FullName;

    private string Db => Path.Combine(_dataDir, "registry.db");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A store with enough clusters to span many pages, left by a clean stop.</summary>
    private async Task WriteStoreAsync(int clusters)
    {
        await using var server = await ServerProcess.StartAsync(_dataDir);
        using var client = server.CreateClient();
        var pad = new string('x', 1500);
        for (var i = 0; i < clusters; i++)
        {
            var cluster = Api.NewCluster(Api.UniqueName("dd"));
            cluster["metadata"]!["annotations"] = new System.Text.Json.Nodes.JsonObject { ["pad"] = pad };
            await Api.CreateAsync(client, cluster);
        }
        await server.StopAsync();
    }

    [Fact]
    public async Task Start_EmptyDatabaseFile_RefusesWithOneLineAndLeavesTheFile()
    {
        await File.WriteAllBytesAsync(Db, []);

        var refused = await RefusedStart.RunAsync(_dataDir);

        output.WriteLine(refused.AssertOneLine($"embedded store {Db} is empty (0 bytes)"));
        Assert.Contains("restore it from a backup", refused.Output);
        Assert.Equal(0, new FileInfo(Db).Length);
    }

    [Fact]
    public async Task Start_GarbageInPages_RefusesWithOneLineNamingCorruption()
    {
        await WriteStoreAsync(clusters: 60);
        // A clean stop folds the WAL into registry.db, so the damage below is what the next start reads.
        var wal = new FileInfo(Db + "-wal");
        var walBytes = wal.Exists ? wal.Length : 0;
        Assert.True(walBytes == 0, $"the WAL holds {walBytes} bytes after a clean stop");
        DatabaseDamage.GarbagePages(Db);

        var refused = await RefusedStart.RunAsync(_dataDir);

        output.WriteLine(refused.AssertOneLine($"embedded store {Db} is corrupt (quick_check: "));
    }

    [Fact]
    public async Task Start_ReadOnlyDatabaseFile_RefusesWithOneLineNamingIt()
    {
        await WriteStoreAsync(clusters: 1);
        using var readOnly = new Unwritable(Db);

        var refused = await RefusedStart.RunAsync(_dataDir);

        output.WriteLine(refused.AssertOneLine($"embedded store {Db} is read-only"));
    }

    [Fact]
    public async Task Start_ReadOnlyDataDirectory_RefusesWithOneLineNamingIt()
    {
        await WriteStoreAsync(clusters: 1);
        using var readOnly = new Unwritable(_dataDir);

        var refused = await RefusedStart.RunAsync(_dataDir);

        output.WriteLine(refused.AssertOneLine($"embedded store data directory {_dataDir} is not writable"));
    }

    [Fact]
    public async Task Start_LockFileDeletedUnderARunningServer_SecondServerRefusedFirstKeepsServing()
    {
        await using var first = await ServerProcess.StartAsync(_dataDir);
        File.Delete(Path.Combine(_dataDir, "registry.lock"));

        var refused = await RefusedStart.RunAsync(_dataDir);

        output.WriteLine(refused.AssertOneLine($"the data directory {_dataDir} is in use by another clusterregistry process"));
        using var client = first.CreateClient();
        await Api.CreateAsync(client, Api.UniqueName("dd"));
    }

    [Fact]
    public async Task Running_DatabaseBecomesReadOnly_Creates503StatusCauseLoggedOnceReadyzFailsThenRecovers()
    {
        await using var server = await ServerProcess.StartAsync(_dataDir);
        using var client = server.CreateClient();
        await Api.CreateAsync(client, Api.UniqueName("dd"));

        using (new Unwritable(Db, Db + "-wal"))
        {
            for (var i = 0; i < 3; i++)
            {
                using var response = await client.PostAsync(Api.Collection, Api.Body(Api.NewCluster(Api.UniqueName("ro"))));
                await Api.AssertFailureAsync(response, HttpStatusCode.ServiceUnavailable, "ServiceUnavailable");
            }
            using var readyz = await client.GetAsync("/readyz?verbose");
            var verbose = await readyz.Content.ReadAsStringAsync();
            Assert.True(readyz.StatusCode == HttpStatusCode.InternalServerError, verbose);
            Assert.Contains("[-]embedded failed", verbose);
            using var single = await client.GetAsync("/readyz/embedded");
            var cause = await single.Content.ReadAsStringAsync();
            output.WriteLine(cause);
            Assert.Equal(HttpStatusCode.InternalServerError, single.StatusCode);
            Assert.Contains(Db, cause);
        }

        var logged = server.Output.Split('\n').Where(l => l.Contains(" ERR embedded store ")).ToList();
        foreach (var line in logged) output.WriteLine(line);
        var line1 = Assert.Single(logged);
        Assert.Contains(Db, line1);

        // Writable again: readyz notices by itself (its check writes), and creates succeed.
        using (var readyz = await client.GetAsync("/readyz"))
            Assert.Equal(HttpStatusCode.OK, readyz.StatusCode);
        await Api.CreateAsync(client, Api.UniqueName("dd"));
        Assert.Matches(new Regex("embedded store .* accepts writes again"), server.Output);
    }

    [Fact]
    public async Task Running_GarbageInPages_Lists503StatusCorruptionLoggedOnceReadyzFailsNamingIt()
    {
        await WriteStoreAsync(clusters: 60);
        // The store's own answer is under test: with the watch cache, lists would be served from memory (and only
        // readyz would tell of the damage).
        await using var server = await ServerProcess.StartAsync(_dataDir, null, "--watch-cache=false");
        using var client = server.CreateClient();
        // Damaged under the running server: the start-time check passed, and no list has cached the pages yet.
        DatabaseDamage.GarbagePages(Db);

        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync(Api.Collection);
            await Api.AssertFailureAsync(response, HttpStatusCode.ServiceUnavailable, "ServiceUnavailable");
        }

        using var readyz = await client.GetAsync("/readyz/embedded");
        var cause = await readyz.Content.ReadAsStringAsync();
        output.WriteLine(cause);
        Assert.Equal(HttpStatusCode.InternalServerError, readyz.StatusCode);
        Assert.Contains($"{Db} is corrupt", cause);
        Assert.Contains("malformed", cause);
        var logged = server.Output.Split('\n').Where(l => l.Contains(" ERR embedded store ")).ToList();
        foreach (var line in logged) output.WriteLine(line);
        Assert.Contains("malformed", Assert.Single(logged));
    }
}
