using System.Collections.Concurrent;
using System.Net;
using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using Xunit.Abstractions;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>
/// A store that commits concurrent writes in groups (one transaction, one WAL flush) still acknowledges a create only once
/// it is committed. Many clients create at once, the server is killed (SIGKILL) while creates are in flight, and after a
/// restart on the same store every create that was answered 201 is there, as it was answered.
/// </summary>
public abstract class GroupCommitDurabilityTests<TStore>(TStore store, ITestOutputHelper output) : IDisposable
    where TStore : IStoreBackend
{
    private const int Writers = 32;
    private const int AcknowledgedBeforeKill = 400;

    private readonly string _dataDir = Directory.CreateDirectory(
        Path.Combine(Path.GetTempPath(), "cr-e2e-group-commit-" + Guid.NewGuid().ToString("N")[..12])).FullName;

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task ConcurrentCreates_KilledWhileWriting_EveryAcknowledgedCreateSurvives()
    {
        var acknowledged = new ConcurrentDictionary<string, (string Uid, string ResourceVersion)>();
        await using (var server = await ServerProcess.StartAsync(_dataDir, null, store.ServerArgs))
        {
            using var client = server.CreateClient();
            using var enough = new CancellationTokenSource();
            using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                // Until the server dies: the kill lands while creates are in flight, some answered and some not.
                for (var i = 0; !bound.IsCancellationRequested; i++)
                {
                    var name = $"gc-{w}-{i}";
                    try
                    {
                        using var response = await client.PostAsync(Api.Collection, Api.Body(Api.NewCluster(name)));
                        if (response.StatusCode != HttpStatusCode.Created) continue;
                        var metadata = (await Api.ReadJsonAsync(response)).GetProperty("metadata");
                        acknowledged[name] = (metadata.GetProperty("uid").GetString()!, metadata.GetProperty("resourceVersion").GetString()!);
                        if (acknowledged.Count >= AcknowledgedBeforeKill) enough.Cancel();
                    }
                    catch (HttpRequestException)
                    {
                        return; // the server is gone
                    }
                }
            })).ToList();

            await Task.WhenAny(Task.WhenAll(writers), Task.Delay(Timeout.Infinite, enough.Token));
            await server.KillAsync();
            await Task.WhenAll(writers);
        }
        var answered = acknowledged.ToArray();
        output.WriteLine($"{answered.Length} creates acknowledged before the kill");
        Assert.True(answered.Length >= AcknowledgedBeforeKill, $"only {answered.Length} creates were acknowledged");
        Assert.Equal(answered.Length, answered.Select(a => a.Value.ResourceVersion).Distinct().Count());

        await using var restarted = await ServerProcess.StartAsync(_dataDir, null, store.ServerArgs);
        using var reader = restarted.CreateClient();
        using var list = await reader.GetAsync(Api.Collection);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var stored = (await Api.ReadJsonAsync(list)).GetProperty("items").EnumerateArray().ToDictionary(
            item => item.GetProperty("metadata").GetProperty("name").GetString()!,
            item => (item.GetProperty("metadata").GetProperty("uid").GetString()!, item.GetProperty("metadata").GetProperty("resourceVersion").GetString()!));
        var lost = answered.Where(a => !stored.TryGetValue(a.Key, out var s) || s != a.Value).Select(a => a.Key).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {answered.Length} acknowledged creates are missing or changed after the restart: {string.Join(", ", lost.Take(10))}");
    }
}

/// <summary>The embedded store: its group committer (ADR-017) and synchronous=FULL.</summary>
public sealed class EmbeddedGroupCommitTests(ITestOutputHelper output)
    : GroupCommitDurabilityTests<EmbeddedStore>(new EmbeddedStore(), output);

/// <summary>PostgreSQL: the server's group committer (ADR-024) answers a write only after its group's COMMIT returned.</summary>
[Requires(Prerequisite.Docker)]
public sealed class PostgresGroupCommitTests(PostgresContainer postgres, ITestOutputHelper output)
    : GroupCommitDurabilityTests<PostgresContainer>(postgres, output), IClassFixture<PostgresContainer>;
