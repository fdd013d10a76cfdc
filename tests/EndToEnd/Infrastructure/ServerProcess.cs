using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ClusterRegistry.Tests.EndToEnd.Infrastructure;

/// <summary>
/// The real <c>clusterregistry standalone</c> process on a free port with its own data directory, as a user runs it:
/// real HTTPS with the generated certificate, the generated admin token and kubeconfig.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly bool _ownsDataDir;
    private bool _expectKubeconfig = true;

    private ServerProcess(Process process, string dataDir, int port, bool ownsDataDir)
    {
        _process = process;
        DataDir = dataDir;
        Port = port;
        _ownsDataDir = ownsDataDir;
    }

    public string DataDir { get; }
    public int Port { get; }
    public string Url => $"https://127.0.0.1:{Port}";
    public string Kubeconfig => Path.Combine(DataDir, "kubeconfig");
    public string Token => File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();
    public string Output { get { lock (_output) return _output.ToString(); } }

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
    public static async Task<ServerProcess> StartCommandAsync(string command, string? dataDir, int? port, bool expectKubeconfig, params string[] extraArgs)
    {
        var owns = dataDir is null;
        dataDir ??= Path.Combine(Path.GetTempPath(), "cr-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        var p = port ?? FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { ServerDll, command, "--data-dir", dataDir, "--secure-port", p.ToString(), "--watch-bookmark-interval", "00:00:02" }.Concat(extraArgs))
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the server");
        var server = new ServerProcess(process, dataDir, p, owns) { _expectKubeconfig = expectKubeconfig };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (server._output) server._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (server._output) server._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server.WaitReadyAsync();
        return server;
    }

    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException("server exited early:\n" + Output);
            try
            {
                if ((await http.GetAsync(Url + "/readyz")).StatusCode == HttpStatusCode.OK && (!_expectKubeconfig || File.Exists(Kubeconfig))) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("server did not become ready:\n" + Output);
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
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        try
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Kills the process at once (SIGKILL: no shutdown, no flush), as a crash would, and keeps the data directory.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        if (_ownsDataDir)
        {
            try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
        }
    }
}
