using System.Net;
using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>PostgreSQL restarted under a running server: no request is sent on a pooled connection to the old server.</summary>
[Requires(Prerequisite.Docker)]
public sealed class PostgresRestartTests(PostgresContainer postgres) : IClassFixture<PostgresContainer>
{
    [Fact]
    public async Task PostgresRestarted_EveryReadAfterwardsIsServed_NoneFailsOnADeadPooledConnection()
    {
        await using var server = await ServerProcess.StartAsync(null, null, postgres.ServerArgs);
        using var client = server.CreateClient();
        var name = Api.UniqueName("prst");
        await Api.CreateAsync(client, name);
        // Concurrent consistent reads leave idle connections to this PostgreSQL in the server's pool.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var r = await client.GetAsync(Api.Item(name));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }));

        await postgres.StopAsync();
        await postgres.StartAsync();

        // The database is back: each read must be answered from it, none fail on a connection the restart closed.
        for (var i = 0; i < 8; i++)
        {
            using var get = await client.GetAsync(Api.Item(name));
            Assert.True(get.StatusCode == HttpStatusCode.OK,
                $"read {i + 1} after the restart answered {(int)get.StatusCode}: {await get.Content.ReadAsStringAsync()}\n{server.Output}");
        }
    }
}
