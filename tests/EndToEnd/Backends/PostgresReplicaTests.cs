using System.Collections.Concurrent;
using System.Net;
using ClusterRegistry.Tests.EndToEnd.Http;
using Xunit.Abstractions;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>The replica suite on one PostgreSQL database, and the database restarted under load through both replicas.</summary>
[Requires(Prerequisite.Docker)]
public sealed class PostgresReplicaTests(PostgresContainer postgres, ITestOutputHelper output)
    : ReplicaTests<PostgresContainer>(postgres, output), IClassFixture<PostgresContainer>
{
    protected override int Writers => 16;

    [Fact]
    public async Task PostgresRestart_UnderLoad_FailsFastThenRecoversWithoutServerRestart()
    {
        var name = Api.UniqueName("pgr");
        var created = await Api.CreateAsync(A, name);
        await using var watch = await RawWatch.OpenAsync(B, $"resourceVersion={Api.ResourceVersion(created)}");

        // Load through both replicas for the whole outage: creates and reads, counted by outcome.
        using var stopLoad = new CancellationTokenSource();
        var outcomes = new ConcurrentDictionary<int, int>();
        var load = Task.WhenAll(Enumerable.Range(0, 4).Select(async w =>
        {
            var client = w % 2 == 0 ? A : B;
            for (var i = 0; !stopLoad.IsCancellationRequested; i++)
            {
                try
                {
                    using var r = i % 2 == 0
                        ? await client.PostAsync(Api.Collection, Api.Body(Api.NewCluster(Api.UniqueName($"load{w}"))))
                        : await client.GetAsync(Api.Collection + "?limit=5");
                    outcomes.AddOrUpdate((int)r.StatusCode, 1, (_, n) => n + 1);
                }
                catch (HttpRequestException)
                {
                    outcomes.AddOrUpdate(0, 1, (_, n) => n + 1);
                }
                await Task.Delay(20);
            }
        }));
        await Task.Delay(500);

        await Store.StopAsync();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        using (var during = await A.GetAsync(Api.Item(name)))
        {
            Assert.True(during.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout,
                $"expected 503/504 while the database is down, got {(int)during.StatusCode}");
            var status = await Api.ReadJsonAsync(during);
            Assert.Equal("Status", status.GetProperty("kind").GetString());
        }
        Output.WriteLine($"failed in {sw.ElapsedMilliseconds} ms while the database was down");
        using (var ready = await A.GetAsync("/readyz?verbose"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, ready.StatusCode);
            Assert.Contains("[-]postgres failed", await ready.Content.ReadAsStringAsync());
        }

        await Store.StartAsync();
        HttpStatusCode code = 0;
        for (var i = 0; i < 60 && code != HttpStatusCode.OK; i++)
        {
            using var r = await A.PatchAsync(Api.Item(name), Api.Body("""{"metadata":{"labels":{"after":"restart"}}}""", Api.MergePatch));
            code = r.StatusCode;
            if (code != HttpStatusCode.OK) await Task.Delay(500);
        }
        Assert.Equal(HttpStatusCode.OK, code);
        await Task.Delay(500);
        await stopLoad.CancelAsync();
        await load;
        Output.WriteLine("load outcomes by status: " + string.Join(", ", outcomes.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value}")));
        Assert.DoesNotContain(0, outcomes.Keys);
        Assert.All(outcomes.Keys, c => Assert.True(c is 200 or 201 or 503 or 504, $"unexpected status {c} under load"));

        // The watch opened before the outage either delivers the change (no gap) or ends; it never skips silently.
        var delivered = false;
        while (await watch.NextAsync(TimeSpan.FromSeconds(20)) is { } e)
        {
            var type = e.GetProperty("type").GetString();
            if (type == "ERROR")
            {
                Assert.Equal(410, e.GetProperty("object").GetProperty("code").GetInt32());
                break;
            }
            if (type == "MODIFIED" && e.GetProperty("object").GetProperty("metadata").GetProperty("labels").TryGetProperty("after", out _))
            {
                delivered = true;
                break;
            }
        }
        Output.WriteLine(delivered ? "watch resumed and delivered the write" : "watch ended (client must re-list)");
    }
}
