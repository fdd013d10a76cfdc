using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>Two server processes on one store, as replicas behind a load balancer run, each with an admin client.</summary>
public sealed class ReplicaPair : IAsyncDisposable
{
    private readonly ServerProcess _a;
    private readonly ServerProcess _b;

    private ReplicaPair(ServerProcess a, ServerProcess b)
    {
        _a = a;
        _b = b;
        A = a.CreateClient();
        B = b.CreateClient();
        // A store outage or a burst of conflicting writes may hold a request for longer than HttpClient's default.
        A.Timeout = B.Timeout = TimeSpan.FromSeconds(60);
    }

    public HttpClient A { get; }
    public HttpClient B { get; }

    /// <summary>Starts both replicas with <paramref name="args"/> (the store's flags and any others).</summary>
    public static async Task<ReplicaPair> StartAsync(params string[] args)
    {
        var a = await ServerProcess.StartAsync(null, null, args);
        try
        {
            return new ReplicaPair(a, await ServerProcess.StartAsync(null, null, args));
        }
        catch
        {
            await a.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        A.Dispose();
        B.Dispose();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }
}
