using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.KubectlSuite;

/// <summary>
/// One real <c>clusterregistry standalone</c> server per test class, plus kubectl runners against it.
/// Every kubectl runner gets its own discovery/HTTP cache directory.
/// </summary>
public class KubectlServerFixture : IAsyncLifetime
{
    private readonly string _cacheRoot = Path.Combine(Path.GetTempPath(), "cr-kubectl-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly Dictionary<string, KubectlClient> _clients = [];
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("the server is not started");

    /// <summary>
    /// kubectl 1.32 with its own cache, used to arrange objects, so that a test of one kubectl version
    /// does not depend on that version's create/apply working.
    /// </summary>
    public KubectlClient Setup => Get("setup", Kubectl.V132);

    /// <summary>The kubectl under test (one runner, and one cache directory, per binary).</summary>
    public KubectlClient For(string binary) => Get("test", binary);

    private KubectlClient Get(string key, string binary)
    {
        lock (_clients)
        {
            key += ":" + binary;
            if (!_clients.TryGetValue(key, out var client))
            {
                var cacheDir = Path.Combine(_cacheRoot, "cache-" + _clients.Count);
                Directory.CreateDirectory(cacheDir);
                client = new KubectlClient(binary, Server.Kubeconfig, cacheDir);
                _clients[key] = client;
            }
            return client;
        }
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_cacheRoot);
        _server = await StartServerAsync();
    }

    /// <summary>Starts the server under test; backends other than the embedded store override it.</summary>
    protected virtual Task<ServerProcess> StartServerAsync() => ServerProcess.StartAsync();

    /// <summary>Stops what <see cref="StartServerAsync"/> started beside the server.</summary>
    protected virtual Task StopDependenciesAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        await StopDependenciesAsync();
        try
        {
            Directory.Delete(_cacheRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
