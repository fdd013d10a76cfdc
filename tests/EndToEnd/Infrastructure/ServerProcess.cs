using System.Net;
using System.Net.Sockets;

namespace ClusterRegistry.Tests.EndToEnd.Infrastructure;

/// <summary>
/// The real <c>clusterregistry</c> process (by default <c>standalone</c> on a free port with its own data directory,
/// as a user runs it: real HTTPS with the generated certificate, the generated admin token and kubeconfig), its
/// output in a log file (<see cref="LoggedProcess"/>).
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly LoggedProcess _process;
    private readonly string? _ownedDir;

    private ServerProcess(LoggedProcess process, string dataDir, string url, string? ownedDir)
    {
        _process = process;
        DataDir = dataDir;
        Url = url;
        _ownedDir = ownedDir;
    }

    public string DataDir { get; }
    public string Url { get; }
    public int Port => new Uri(Url).Port;
    public string Kubeconfig => Path.Combine(DataDir, "kubeconfig");
    public string Token => File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();
    public string Output => _process.Log;

    /// <summary>The directory of the built server (src/Api/bin/&lt;config&gt;/net10.0).</summary>
    public static string ServerDll
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            var root = dir;
            while (root is not null && !File.Exists(Path.Combine(root, "ClusterRegistry.sln"))) root = Path.GetDirectoryName(root);
            if (root is null) throw new InvalidOperationException("cannot find the repository root from " + dir);
            var config = dir.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            return Path.Combine(root, "src", "Api", "bin", config, "net10.0", "clusterregistry.dll");
        }
    }

    /// <summary>Starts a server and waits until /readyz answers; <paramref name="dataDir"/> null makes a temporary one.</summary>
    public static Task<ServerProcess> StartAsync(string? dataDir = null, int? port = null, params string[] extraArgs) =>
        StartAsync(dataDir, port, expectKubeconfig: true, extraArgs);

    /// <summary>
    /// Starts a server and waits until /readyz answers. With <paramref name="expectKubeconfig"/> false (for servers
    /// given --token-auth-file, --client-ca-file or a token webhook, which generate no admin credentials) it does
    /// not wait for the generated kubeconfig.
    /// </summary>
    public static Task<ServerProcess> StartAsync(string? dataDir, int? port, bool expectKubeconfig, params string[] extraArgs) =>
        StartCommandAsync("standalone", dataDir, port, expectKubeconfig, extraArgs);

    /// <summary>Starts <c>clusterregistry COMMAND</c> (standalone or aggregated) and waits until /readyz answers.</summary>
    public static Task<ServerProcess> StartCommandAsync(string command, string? dataDir, int? port, bool expectKubeconfig, params string[] extraArgs) =>
        StartCommandAsync(command, dataDir, port, expectKubeconfig, new Dictionary<string, string>(), extraArgs);

    /// <summary>As above, with <paramref name="environment"/> added to the server's environment.</summary>
    public static Task<ServerProcess> StartCommandAsync(string command, string? dataDir, int? port, bool expectKubeconfig,
        IReadOnlyDictionary<string, string> environment, params string[] extraArgs)
    {
        var owned = dataDir is null ? Path.Combine(Path.GetTempPath(), "cr-e2e-" + Guid.NewGuid().ToString("N")[..12]) : null;
        dataDir ??= owned!;
        var p = port ?? FreePort();
        return StartArgsAsync([command, "--data-dir", dataDir, "--secure-port", p.ToString(), "--watch-bookmark-interval", "00:00:02", .. extraArgs],
            $"https://127.0.0.1:{p}", dataDir, owned, expectKubeconfig, environment);
    }

    /// <summary>
    /// Starts <c>clusterregistry</c> with exactly <paramref name="args"/> (say, the command line of a Deployment crinit
    /// made) and waits until <paramref name="url"/>/readyz answers and, with <paramref name="expectKubeconfig"/>, the
    /// kubeconfig generated in <paramref name="dataDir"/> exists. <paramref name="ownedDir"/>, when not null, is
    /// removed on disposal.
    /// </summary>
    public static async Task<ServerProcess> StartArgsAsync(IEnumerable<string> args, string url, string dataDir, string? ownedDir,
        bool expectKubeconfig = false, IReadOnlyDictionary<string, string>? environment = null)
    {
        var log = Path.Combine(Path.GetTempPath(), "cr-server-" + Guid.NewGuid().ToString("N")[..12] + ".log");
        var server = new ServerProcess(LoggedProcess.Start("dotnet", [ServerDll, .. args], log, environment), dataDir, url, ownedDir);
        try
        {
            await Readyz.WaitAsync(url, () => Task.FromResult(server._process.HasExited ? "the server exited" : null), () => Task.FromResult(server.Output));
            // Servers given --token-auth-file, --client-ca-file or a token webhook generate no admin credentials.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (expectKubeconfig && !File.Exists(server.Kubeconfig))
            {
                if (server._process.HasExited || DateTime.UtcNow > deadline)
                    Assert.Fail($"the server is ready but wrote no kubeconfig at {server.Kubeconfig}:\n{server.Output}");
                await Task.Delay(100);
            }
        }
        catch
        {
            // A server that never became ready is stopped here: the caller has nothing to dispose.
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>An HttpClient that trusts the server's generated CA and sends the admin token.</summary>
    public HttpClient CreateClient(bool authenticated = true)
    {
        var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(
            File.ReadAllText(Path.Combine(DataDir, "certs", "apiserver.crt")));
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && cert.Thumbprint == ca.Thumbprint,
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri(Url) };
        if (authenticated) client.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        return client;
    }

    /// <summary>
    /// An HttpClient that trusts the server's generated CA and presents <paramref name="token"/> (when not null) as a
    /// bearer token and <paramref name="clientCert"/> (when not null, with its private key) as the TLS client certificate.
    /// </summary>
    public HttpClient CreateClient(string? token, System.Security.Cryptography.X509Certificates.X509Certificate2? clientCert)
    {
        var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(
            File.ReadAllText(Path.Combine(DataDir, "certs", "apiserver.crt")));
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && cert.Thumbprint == ca.Thumbprint,
        };
        if (clientCert is not null)
        {
            handler.ClientCertificateOptions = ClientCertificateOption.Manual;
            handler.ClientCertificates.Add(clientCert);
        }
        var client = new HttpClient(handler) { BaseAddress = new Uri(Url) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Stops the process (SIGTERM, then kill) and keeps the data directory.</summary>
    public Task StopAsync() => _process.StopAsync(TimeSpan.FromSeconds(15));

    /// <summary>Kills the process at once (SIGKILL: no shutdown, no flush), as a crash would, and keeps the data directory.</summary>
    public Task KillAsync() => _process.KillAsync();

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _process.DisposeAsync();
        File.Delete(_process.LogPath);
        if (_ownedDir is not null)
        {
            try { Directory.Delete(_ownedDir, recursive: true); } catch (IOException) { }
        }
    }
}
