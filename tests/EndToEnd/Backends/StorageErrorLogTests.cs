using System.Net;
using System.Text.RegularExpressions;
using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>
/// What the real server's log says when its store fails: one line naming the backend and the cause, no stack trace,
/// no credentials.
/// </summary>
public static partial class StorageErrorLog
{
    /// <summary>Waits (at most 60 s) for the first log line containing every one of <paramref name="parts"/>.</summary>
    public static async Task<string> LineAsync(ServerProcess server, params string[] parts)
    {
        var text = string.Join("\" and \"", parts);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = server.Output.Split('\n').FirstOrDefault(l => parts.All(p => l.Contains(p, StringComparison.Ordinal)));
            if (line is not null) return line.TrimEnd();
            try
            {
                await Task.Delay(100, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"no log line containing \"{text}\" within 60 s:\n{server.Output}");
            }
        }
    }

    /// <summary>
    /// No stack frame, inner-exception marker or line opening with an exception type (how a logged exception starts)
    /// anywhere in the log. Exception names inside a message line (gRPC's detail text has them) are not a trace.
    /// </summary>
    public static void AssertNoStackTrace(string output)
    {
        var trace = StackTrace().Match(output);
        Assert.False(trace.Success, $"the log holds a stack trace (\"{trace.Value.Trim()}\"):\n{output}");
        Assert.DoesNotContain("--->", output);
    }

    [GeneratedRegex(@"^(\s+at \S+|[\w.]+Exception(: |\s*$))", RegexOptions.Multiline)]
    private static partial Regex StackTrace();
}

/// <summary>etcd stopped under a running server, and unreachable at start.</summary>
[Requires(Prerequisite.Docker)]
public sealed class EtcdErrorLogTests(EtcdContainer etcd) : IClassFixture<EtcdContainer>
{
    [Fact]
    public async Task EtcdStopped_RequestWatchAndCompactionFailures_LogEtcdEndpointAndCauseOnOneLine()
    {
        await using var server = await ServerProcess.StartAsync(null, null, [.. etcd.ServerArgs, "--compaction-interval", "1s"]);
        using var client = server.CreateClient();
        var name = Api.UniqueName("elog");
        await Api.CreateAsync(client, name);
        await using var watch = await WatchRecorder.OpenAsync(server, "");
        // The watch's initial state must have arrived before etcd stops: until then the watch is still reading the
        // store, and its failure would be that read's, not the broken upstream watch's this test is about.
        Assert.True(await watch.WaitAsync(events => WatchRecorder.ObjectEvents(events).Any(e => e.Name == name), TimeSpan.FromSeconds(60)),
            "the watch's ADDED event for " + name);
        try
        {
            await etcd.StopAsync();
            using var get = await client.GetAsync(Api.Item(name));

            Assert.True(get.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout, $"GET answered {(int)get.StatusCode}");
            // The first failures may be the connection being torn down; the lasting cause follows.
            await StorageErrorLog.LineAsync(server, $"Storage etcd {etcd.Endpoint}: get failed: ", "Connection refused");
            await StorageErrorLog.LineAsync(server, $"Storage etcd {etcd.Endpoint}: watch failed: ", "etcd watch could not be re-established");
            await StorageErrorLog.LineAsync(server, "etcd compaction failed, retrying next interval: ", "Connection refused");
            StorageErrorLog.AssertNoStackTrace(server.Output);
        }
        finally
        {
            await etcd.StartAsync();
        }
    }

    [Fact]
    public async Task EtcdUnreachableAtStart_RefusesWithOneLineNamingTheEndpointAndCause()
    {
        var closed = $"http://127.0.0.1:{ServerProcess.FreePort()}";
        var dir = Directory.CreateTempSubdirectory("cr-elog-").FullName;
        try
        {
            var refused = await RefusedStart.RunAsync(dir, "--storage-backend", "etcd3", "--etcd-servers", closed);

            var line = refused.AssertOneLine($"storage etcd {closed}: ");
            Assert.Contains("Connection refused", line);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>PostgreSQL stopped under a running server, and refusing the password at start.</summary>
[Requires(Prerequisite.Docker)]
public sealed class PostgresErrorLogTests(PostgresContainer postgres) : IClassFixture<PostgresContainer>
{
    private string Database => $"PostgreSQL 127.0.0.1:{postgres.HostPort}/postgres";

    [Fact]
    public async Task PostgresStopped_RequestAndCompactionFailures_LogDatabaseAndCauseOnOneLineWithoutPassword()
    {
        await using var server = await ServerProcess.StartAsync(null, null, [.. postgres.ServerArgs, "--compaction-interval", "1s"]);
        using var client = server.CreateClient();
        var name = Api.UniqueName("plog");
        await Api.CreateAsync(client, name);
        try
        {
            await postgres.StopAsync();
            using var get = await client.GetAsync(Api.Item(name));

            Assert.True(get.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout, $"GET answered {(int)get.StatusCode}");
            await StorageErrorLog.LineAsync(server, $"Storage {Database}: get failed: ", $"Failed to connect to 127.0.0.1:{postgres.HostPort}",
                "Connection refused");
            // Every request fails the same way while the database is down: a cause is logged once, not per request.
            for (var i = 0; i < 5; i++)
            {
                using var again = await client.GetAsync(Api.Item(name));
                Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
            }
            var causes = server.Output.Split('\n').Where(l => l.Contains($"Storage {Database}: ", StringComparison.Ordinal))
                .Select(l => l[(l.IndexOf(" failed: ", StringComparison.Ordinal) + 9)..].Trim()).ToList();
            Assert.True(causes.Count == causes.Distinct().Count(), "a cause was logged again within 30 s:\n" + string.Join('\n', causes));
            await StorageErrorLog.LineAsync(server, "PostgreSQL compaction failed, retrying next interval: ");
            StorageErrorLog.AssertNoStackTrace(server.Output);
            Assert.DoesNotContain("Password", server.Output, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            await postgres.StartAsync();
        }
    }

    [Fact]
    public async Task WrongPassword_RefusesWithOneLineNamingTheDatabaseAndCauseWithoutThePassword()
    {
        const string secret = "not-the-password-5f1c";
        var dir = Directory.CreateTempSubdirectory("cr-plog-").FullName;
        try
        {
            var refused = await RefusedStart.RunAsync(dir, "--storage-backend", "postgres", "--postgres-connection-string",
                $"Host=127.0.0.1;Port={postgres.HostPort};Username=postgres;Password={secret};Database=postgres");

            var line = refused.AssertOneLine($"storage {Database}: ");
            Assert.Contains("28P01", line);
            Assert.DoesNotContain(secret, refused.Output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
