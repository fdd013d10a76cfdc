using ClusterRegistry.Infrastructure.Storage.Postgres;
using ClusterRegistry.Tests.StorageContractTests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ClusterRegistry.Tests.StorageContractTests.Postgres;

/// <summary>
/// The replica's event listener: one dedicated connection, which, once terminated by the server
/// (<c>pg_terminate_backend</c>, as a failover or an administrator does), is replaced, and the events committed while it
/// was gone still reach the watchers, in order, followed by later ones.
/// </summary>
[Requires(Prerequisite.Docker)]
public sealed class PostgresListenerTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IDisposable
{
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromMinutes(2));

    private CancellationToken Ct => _cts.Token;

    public void Dispose() => _cts.Dispose();

    [Fact]
    public async Task ListenerConnectionTerminated_EventsWrittenMeanwhileAndAfterStillArrive()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var storage = await PostgresStorage.OpenAsync(connectionString, NullLogger.Instance);
        await using var watch = new WatchReader(storage, "clusters/", await storage.CurrentRevisionAsync(Ct));
        var before = await storage.CreateAsync("clusters/before", Text.Bytes("before"), Ct);
        Assert.Equal(before, (await watch.NextAsync()).Revision);

        Assert.Equal(1, await TerminateListenersAsync(connectionString));
        // Written at once, while the listener is gone (it reconnects after a pause): only a catch-up read delivers it.
        var during = await storage.CreateAsync("clusters/during", Text.Bytes("during"), Ct);
        var got = await watch.NextAsync();
        Assert.Equal(("clusters/during", during), (got.Key, got.Revision));

        var after = await storage.CreateAsync("clusters/after", Text.Bytes("after"), Ct);
        got = await watch.NextAsync();
        Assert.Equal(("clusters/after", after), (got.Key, got.Revision));
        Assert.Equal(1, await ListenersAsync(connectionString, "count(*)"));
    }

    private Task<long> TerminateListenersAsync(string connectionString) =>
        ListenersAsync(connectionString, "count(pg_terminate_backend(pid))");

    /// <summary><paramref name="aggregate"/> over the listener connections of this test's database.</summary>
    private async Task<long> ListenersAsync(string connectionString, string aggregate)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            $"SELECT {aggregate} FROM pg_stat_activity WHERE datname = current_database() AND application_name = @name", connection);
        command.Parameters.AddWithValue("name", PostgresStorage.ListenerApplicationName);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}
