using System.Net.Http.Json;
using System.Text.Json;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Networks;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>
/// A three-member etcd cluster in containers on its own Docker network: members <c>etcd0..2</c> peer by network alias,
/// each client port is bound to a fixed free host port (so a member can be stopped and started under a running server)
/// and advertised as <c>http://127.0.0.1:&lt;hostport&gt;</c>, so clients that discover endpoints from the member list
/// still reach them from the host. Image: <see cref="StoreContainers"/>.
/// </summary>
public sealed class EtcdClusterContainers : IAsyncLifetime
{
    public const int Size = 3;

    private readonly IContainer[] _members = new IContainer[Size];
    private INetwork? _network;

    public EtcdClusterContainers()
    {
        var ports = new HashSet<int>();
        while (ports.Count < Size) ports.Add(ServerProcess.FreePort());
        HostPorts = ports.ToArray();
    }

    public int[] HostPorts { get; }

    public string Prefix { get; } = "/registry/e2e-" + Guid.NewGuid().ToString("N")[..8];

    public string Endpoint(int member) => $"http://127.0.0.1:{HostPorts[member]}";

    public IEnumerable<string> Endpoints => Enumerable.Range(0, Size).Select(Endpoint);

    /// <summary>The server flags that select this cluster, every member's client URL in --etcd-servers.</summary>
    public string[] ServerArgs => ServerArgsUnder(Prefix);

    /// <summary>The server flags that select this cluster with keys under <paramref name="prefix"/>: a test's own objects, apart from the others'.</summary>
    public string[] ServerArgsUnder(string prefix) => ["--storage-backend", "etcd3", "--etcd-servers", string.Join(",", Endpoints), "--etcd-prefix", prefix];

    public async Task InitializeAsync()
    {
        StoreContainers.Configure();
        var token = "cr-e2e-" + Guid.NewGuid().ToString("N")[..12];
        _network = new NetworkBuilder().WithName(token).Build();
        using (var create = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
            await _network.CreateAsync(create.Token);

        var initialCluster = string.Join(",", Enumerable.Range(0, Size).Select(i => $"etcd{i}=http://etcd{i}:2380"));
        for (var i = 0; i < Size; i++)
        {
            _members[i] = StoreContainers.Etcd("etcd-cluster-e2e")
                .WithNetwork(_network)
                .WithNetworkAliases($"etcd{i}")
                .WithCommand($"--name=etcd{i}", "--data-dir=/var/lib/etcd-e2e",
                    "--listen-client-urls=http://0.0.0.0:2379", $"--advertise-client-urls=http://127.0.0.1:{HostPorts[i]}",
                    "--listen-peer-urls=http://0.0.0.0:2380", $"--initial-advertise-peer-urls=http://etcd{i}:2380",
                    $"--initial-cluster={initialCluster}", "--initial-cluster-state=new", $"--initial-cluster-token={token}")
                .WithPortBinding(HostPorts[i], StoreContainers.EtcdClientPort)
                .Build();
        }
        // A member only reports ready once the cluster has a quorum: start them together.
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await Task.WhenAll(_members.Select(m => m.StartAsync(startup.Token)));
        for (var i = 0; i < Size; i++) await WaitHealthyAsync(i, TimeSpan.FromSeconds(60));
    }

    public IContainer Member(int i) => _members[i];

    public Task StopAsync(int member) => _members[member].StopAsync();

    /// <summary>
    /// Kills the member's etcd with SIGKILL (<c>docker kill</c>; Testcontainers has no kill): unlike a stop, a leader
    /// gets no chance to hand over leadership, so the survivors have to notice it is gone and elect a new one.
    /// </summary>
    public async Task KillAsync(int member)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("docker", ["kill", "--signal", "KILL", _members[member].Id])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var docker = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("could not run docker");
        var error = docker.StandardError.ReadToEndAsync();
        await docker.StandardOutput.ReadToEndAsync();
        await docker.WaitForExitAsync();
        if (docker.ExitCode != 0) throw new InvalidOperationException($"docker kill etcd{member} failed: {await error}");
    }

    /// <summary>Starts a stopped member again (same data directory, same host port) and waits until it is healthy.</summary>
    public async Task StartAsync(int member)
    {
        using (var startup = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
            await _members[member].StartAsync(startup.Token);
        await WaitHealthyAsync(member, TimeSpan.FromSeconds(60));
    }

    /// <summary>Waits (bounded) until the member's <c>/health</c> answers <c>"health":"true"</c> (it has a leader).</summary>
    public async Task WaitHealthyAsync(int member, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await http.GetStringAsync(Endpoint(member) + "/health");
                if (JsonDocument.Parse(last).RootElement.GetProperty("health").GetString() == "true") return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                last = e.Message;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"etcd{member} did not become healthy within {timeout.TotalSeconds}s: {last}");
    }

    /// <summary>The index of the current leader, asked of the running members through etcd's gRPC gateway (no etcdctl needed).</summary>
    public async Task<int> LeaderAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var ids = new Dictionary<string, int>();
            string? leader = null;
            for (var i = 0; i < Size; i++)
            {
                try
                {
                    using var response = await http.PostAsJsonAsync(Endpoint(i) + "/v3/maintenance/status", new { });
                    var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                    ids[status.GetProperty("header").GetProperty("member_id").GetString()!] = i;
                    if (status.TryGetProperty("leader", out var l) && l.GetString() is { Length: > 0 } id && id != "0") leader = id;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
                {
                }
            }
            if (leader is not null && ids.TryGetValue(leader, out var index)) return index;
            await Task.Delay(250);
        }
        throw new TimeoutException("no etcd leader found");
    }

    public async Task DisposeAsync()
    {
        foreach (var member in _members)
            if (member is not null) await member.DisposeAsync();
        if (_network is not null) await _network.DisposeAsync();
    }
}
