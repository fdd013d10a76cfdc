namespace ClusterRegistry.Tests.Http;

/// <summary>One in-process server per test class, with an admin client.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private InProcessServer? _server;

    public InProcessServer Server => _server ?? throw new InvalidOperationException("the server has not started");

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _server = await InProcessServer.StartAsync();
        Client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }
}
