using ClusterRegistry.Tests.EndToEnd.Backends;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.KubectlSuite;

/// <summary>
/// One real <c>clusterregistry standalone</c> server per test class on the embedded store (or, in a subclass, on
/// another <see cref="IStoreBackend"/>), plus kubectl runners against it. Every kubectl runner gets its own
/// discovery/HTTP cache directory.
/// </summary>
public class KubectlServerFixture : IAsyncLifetime
{
    private readonly IStoreBackend _store;
    private readonly string _cacheRoot = Path.Combine(Path.GetTempPath(), "cr-kubectl-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly Dictionary<string, KubectlClient> _clients = [];
    private ServerProcess? _server;

    public KubectlServerFixture() : this(new EmbeddedStore())
    {
    }

    protected KubectlServerFixture(IStoreBackend store) => _store = store;

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
        await _store.InitializeAsync();
        _server = await ServerProcess.StartAsync(null, null, _store.ServerArgs);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        await _store.DisposeAsync();
        try
        {
            Directory.Delete(_cacheRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
