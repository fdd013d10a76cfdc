using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace BenchTool;

/// <summary>
/// Watch fan-out: opens the watchers (each its own HTTP/1.1 connection, as separate clients would), waits until every
/// one has its stream, then patches one object <c>updates</c> times, one write after the previous response. A write's
/// delivery latency to a watcher is the time from the write's response to that watcher reading the event line.
/// </summary>
public static class Fanout
{
    public static async Task<int> RunAsync(string url, string token, int watchers, int updates, int serverPid)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
#pragma warning disable CA5359 // the benchmark's server has a self-signed certificate made at its start
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
#pragma warning restore CA5359
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        };
        // FANOUT_HTTP2=1: the watchers share HTTP/2 connections (100 streams each, Kestrel's default), as one
        // client-go process's watches do; otherwise each watcher has its own HTTP/1.1 connection.
        var http2 = Environment.GetEnvironmentVariable("FANOUT_HTTP2") == "1";
        handler.EnableMultipleHttp2Connections = http2;
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        if (http2)
        {
            http.DefaultRequestVersion = System.Net.HttpVersion.Version20;
            http.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var collection = url.TrimEnd('/') + "/apis/clusterregistry.k8s.io/v1alpha1/clusters";
        var name = "fanout-" + Guid.NewGuid().ToString("N")[..8];
        var created = await http.PostAsync(collection, Json("{\"apiVersion\":\"clusterregistry.k8s.io/v1alpha1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"" + name + "\"}}"));
        created.EnsureSuccessStatusCode();
        var startRv = RvOf(await created.Content.ReadAsStringAsync());

        var rssBefore = serverPid > 0 ? RssKiB(serverPid) : 0;
        var clock = Stopwatch.StartNew();
        var warmup = int.TryParse(Environment.GetEnvironmentVariable("FANOUT_WARMUP"), out var w) ? w : 10;
        // Each watcher reads both rounds of warm-up updates and the measured ones.
        var arrivals = new Arrivals(watchers, 2 * warmup + updates + 16);
        using var stop = new CancellationTokenSource();
        var ready = new CountdownEvent(watchers);
        var tasks = new List<Task>();
        var watchUrl = $"{collection}?watch=1&resourceVersion={startRv}&fieldSelector=metadata.name%3D{name}";
        // Over HTTP/2 the watchers are read by Http2Watches unless FANOUT_CLIENT=httpclient: HttpClient's cost per
        // event on this client's side of the shared cores was larger than the server's (see Http2Watches).
        var connections = new List<Http2Watches>();
        if (http2 && Environment.GetEnvironmentVariable("FANOUT_CLIENT") != "httpclient")
        {
            const int StreamsPerConnection = 100;
            for (var first = 0; first < watchers; first += StreamsPerConnection)
            {
                var connection = await Http2Watches.ConnectAsync(new Uri(url), clock, stop.Token);
                connections.Add(connection);
                for (var i = first; i < Math.Min(watchers, first + StreamsPerConnection); i++)
                    await connection.OpenAsync(2 * (i - first) + 1, new Uri(watchUrl), token, arrivals.Log(i), ok =>
                    {
                        if (ok) Interlocked.Increment(ref _opened);
                        else Console.Error.WriteLine("fanout: a watch did not start");
                        ready.Signal();
                    }, stop.Token);
            }
        }
        else
        {
            for (var i = 0; i < watchers; i++)
            {
                var log = arrivals.Log(i);
                tasks.Add(Task.Run(() => WatchAsync(http, watchUrl, clock, log, ready, stop.Token)));
            }
        }
        if (!ready.Wait(TimeSpan.FromMinutes(3))) Console.Error.WriteLine($"fanout: only {watchers - ready.CurrentCount} watchers connected");
        var opened = Volatile.Read(ref _opened);

        // Warm-up, not measured, so the measured updates find the server as a long-running one is, with its code
        // compiled at its final tier: without it a fifth to a half of the server's CPU samples in the measured updates
        // were the runtime's tiered compilation. In three steps:
        // 1. FANOUT_WARMUP updates (10 by default; 0 measures the cold path) run the fan-out path once the watchers
        //    are open.
        // 2. FANOUT_WRITE_WARMUP merge patches of another object (1,000 by default) run the write path, which the
        //    measured updates take too: with step 1 alone a server that had served no other requests (FANOUT_ONLY)
        //    compiled ~1,200 methods of it during the measured updates.
        // 3. The server is left to settle, and step 1 runs again: the runtime only starts counting calls towards the
        //    final tier once nothing new has been compiled for a while, so the fan-out path's last recompilation came
        //    in the first measured update when step 1 ran only while step 2's code was still being compiled.
        var writeWarmup = int.TryParse(Environment.GetEnvironmentVariable("FANOUT_WRITE_WARMUP"), out var ww) ? ww : 1000;
        var round = 0;
        async Task WarmFanoutAsync()
        {
            var warmed = new List<long>();
            for (var u = 0; u < warmup; u++)
            {
                using var response = await http.PatchAsync($"{collection}/{name}",
                    new StringContent("{\"metadata\":{\"annotations\":{\"warmup\":\"" + round + "-" + u + "\"}}}", Encoding.UTF8, "application/merge-patch+json"));
                response.EnsureSuccessStatusCode();
                warmed.Add(long.Parse(RvOf(await response.Content.ReadAsStringAsync())));
                await Task.Delay(100);
            }
            round++;
            var warmDeadline = DateTime.UtcNow.AddSeconds(30);
            while (warmup > 0 && DateTime.UtcNow < warmDeadline && arrivals.Count(warmed) < (long)opened * warmup)
                await Task.Delay(100);
        }
        // Until the server is idle (under 5 % of a core over half a second, at most 30 s): the runtime recompiles hot
        // methods on a background thread for a while after they first run, and that CPU is not the fan-out's.
        async Task SettleServerAsync()
        {
            if (serverPid > 0) Console.Error.WriteLine($"fanout: server settled after {await SettleAsync(serverPid):F1} s");
        }
        await WarmFanoutAsync();
        if (writeWarmup > 0)
        {
            var other = name + "-w";
            (await http.PostAsync(collection, Json("{\"apiVersion\":\"clusterregistry.k8s.io/v1alpha1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"" + other + "\"}}"))).EnsureSuccessStatusCode();
            for (var i = 0; i < writeWarmup; i++)
            {
                using var response = await http.PatchAsync($"{collection}/{other}",
                    new StringContent("{\"metadata\":{\"annotations\":{\"warmup\":\"" + i + "\"}}}", Encoding.UTF8, "application/merge-patch+json"));
                response.EnsureSuccessStatusCode();
            }
        }
        if (warmup > 0)
        {
            await SettleServerAsync();
            await WarmFanoutAsync();
        }
        await SettleServerAsync();
        // FANOUT_READY_FILE is created once the watchers are open and warm, so a profiler can attach for the measured updates only.
        if (Environment.GetEnvironmentVariable("FANOUT_READY_FILE") is { Length: > 0 } readyFile) await File.WriteAllTextAsync(readyFile, "");

        // The server's CPU over the updates and their delivery: per delivered event it moves far less with the shared
        // machine's load than the latencies do.
        var cpuBefore = serverPid > 0 ? CpuTicks(serverPid) : 0;
        // This process's CPU too: on a 2-core host the watchers' client competes with the server for the cores, so
        // its cost per event bounds the latencies as much as the server's does.
        var clientCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        // Nor does its garbage collector pause it while it reads the measured events: HttpClient's HTTP/2 streams take
        // a fresh receive buffer for most events, and without this the client collected 16 times in the measured
        // updates, each pause (~20 ms, its 3,000 streams' buffers to trace) delaying every watcher's read alike: a
        // delay of this client that would be counted as the server's. Reported below when it happens anyway.
        var noGc = StartNoGcRegion();
        var clientPauseBefore = GC.GetTotalPauseDuration();
        var clientGcsBefore = GC.CollectionCount(0);
        var written = new Dictionary<long, double>();
        for (var u = 0; u < updates; u++)
        {
            var response = await http.PatchAsync($"{collection}/{name}",
                new StringContent("{\"metadata\":{\"annotations\":{\"update\":\"" + u + "\"}}}", Encoding.UTF8, "application/merge-patch+json"));
            var at = clock.Elapsed.TotalMilliseconds;
            response.EnsureSuccessStatusCode();
            written[long.Parse(RvOf(await response.Content.ReadAsStringAsync()))] = at;
            await Task.Delay(100);
        }
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline && arrivals.Count(written.Keys) < (long)opened * updates)
            await Task.Delay(100);
        var cpuTicks = serverPid > 0 ? CpuTicks(serverPid) - cpuBefore : 0;
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime - clientCpuBefore;
        var clientPause = GC.GetTotalPauseDuration() - clientPauseBefore;
        var clientGcs = GC.CollectionCount(0) - clientGcsBefore;
        if (noGc && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        var rssWith = serverPid > 0 ? RssKiB(serverPid) : 0;
        // FANOUT_HOLD_SECONDS keeps the watchers open after the measurement, to inspect the server (dotnet-gcdump, pmap).
        if (int.TryParse(Environment.GetEnvironmentVariable("FANOUT_HOLD_SECONDS"), out var hold)) await Task.Delay(TimeSpan.FromSeconds(hold));
        var rss = serverPid > 0 && opened > 0
            ? $"  server RSS {rssWith / 1024} MiB ({(rssWith - rssBefore) / opened} KiB per watcher over {rssBefore / 1024} MiB before)"
            : "";
        await stop.CancelAsync();
        foreach (var connection in connections) await connection.DisposeAsync();

        var latencies = new List<double>();
        foreach (var (rv, at) in written)
            latencies.AddRange(arrivals.Of(rv).Select(t => Math.Max(0, t - at)));
        latencies.Sort();
        // FANOUT_DETAIL names a file for each update's own p50/p99/max: with 20 updates the overall p99 is set by the
        // slowest deliveries of one or two updates (the first after the watchers opened, a GC), which this shows.
        if (Environment.GetEnvironmentVariable("FANOUT_DETAIL") is { Length: > 0 } detail)
            await File.WriteAllLinesAsync(detail, written.Select((w, u) =>
            {
                var own = arrivals.Of(w.Key).Select(t => Math.Max(0, t - w.Value)).Order().ToList();
                return own.Count == 0 ? $"update {u}: none delivered"
                    : $"update {u}: delivered {own.Count} first {own[0]:F1} ms p50 {own[own.Count / 2]:F1} ms p99 {own[Math.Min(own.Count - 1, (int)(0.99 * own.Count))]:F1} ms max {own[^1]:F1} ms";
            }));
        double P(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        var cpu = serverPid > 0 && latencies.Count > 0 ? $"  server CPU {cpuTicks * 1_000_000.0 / TicksPerSecond / latencies.Count:F0} us per delivered event" : "";
        if (latencies.Count > 0) cpu += $" (client {clientCpu.TotalMicroseconds / latencies.Count:F0} us, {clientGcs} GCs pausing it {clientPause.TotalMilliseconds:F0} ms)";
        Console.WriteLine($"fanout {watchers} {(connections.Count > 0 ? "HTTP/2" : http2 ? "HTTP/2 (HttpClient)" : "HTTP/1.1")} watchers ({opened} open) x {updates} updates: p50 {P(0.5):F1} ms  p99 {P(0.99):F1} ms  delivered {latencies.Count}/{(long)watchers * updates}{cpu}{rss}");
        return 0;
    }

    private static int _opened;

    private static async Task WatchAsync(HttpClient http, string url, Stopwatch clock, Arrivals.WatcherLog log,
        CountdownEvent ready, CancellationToken ct)
    {
        var signalled = false;
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
            response.EnsureSuccessStatusCode();
            Interlocked.Increment(ref _opened);
            ready.Signal();
            signalled = true;
            // Lines are split and their resourceVersion found in the bytes as they arrive: on the 2-core host this
            // client shares the cores with the server, and decoding each line to a string and a JsonDocument cost
            // about as much CPU per event as the server's whole path.
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            // Ended by disposing the response, not by a token on each read: every read registering on the one token
            // the 3,000 watchers share had them contending for its lock (spinning took ~15 % of this client's CPU).
            await using var end = ct.UnsafeRegister(static r => ((HttpResponseMessage)r!).Dispose(), response);
            var buffer = new byte[16 * 1024];
            var filled = 0;
            while (true)
            {
                if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                var n = await body.ReadAsync(buffer.AsMemory(filled), CancellationToken.None);
                if (n == 0) break;
                var at = clock.Elapsed.TotalMilliseconds;
                filled += n;
                var start = log.AddLines(buffer.AsSpan(0, filled), at);
                buffer.AsSpan(start, filled - start).CopyTo(buffer);
                filled -= start;
            }
            if (!ct.IsCancellationRequested) Console.Error.WriteLine("fanout: the server ended a watch");
        }
        catch (OperationCanceledException) { }
        catch (Exception e) when (ct.IsCancellationRequested && e is HttpRequestException or IOException or ObjectDisposedException) { }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            Console.Error.WriteLine($"fanout: watcher failed: {e.Message}{(e.InnerException is { } inner ? " (" + inner.Message + ")" : "")}");
        }
        finally
        {
            if (!signalled) ready.Signal();
        }
    }

    /// <summary>Starts a region without collections as large as the runtime allows (up to 4 GiB); false if none.</summary>
    private static bool StartNoGcRegion()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        for (var size = 4L << 30; size >= 64L << 20; size /= 2)
        {
            try
            {
                if (GC.TryStartNoGCRegion(size)) return true;
            }
            catch (ArgumentOutOfRangeException)
            {
                // Larger than this runtime's limit: try half.
            }
        }
        return false;
    }

    /// <summary>Waits until the server uses under 5 % of one core over 500 ms (at most 30 s); the seconds waited.</summary>
    private static async Task<double> SettleAsync(int pid)
    {
        var waited = Stopwatch.StartNew();
        var before = CpuTicks(pid);
        while (waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(500);
            var now = CpuTicks(pid);
            // 5 % of one core over 0.5 s is 2.5 ticks at 100 ticks per second.
            if (now - before <= 0.025 * TicksPerSecond) break;
            before = now;
        }
        return waited.Elapsed.TotalSeconds;
    }

    /// <summary>The server's resident memory (before the watchers open, and while every one is still open).</summary>
    private static long RssKiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    // Linux's USER_HZ, which /proc/<pid>/stat counts in (sysconf(_SC_CLK_TCK) is 100 on every supported platform).
    private const double TicksPerSecond = 100;

    /// <summary>User plus system CPU the server has used so far, in clock ticks (/proc/&lt;pid&gt;/stat fields 14 and 15).</summary>
    private static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11]) + long.Parse(fields[12]);
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static string RvOf(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString()!;
    }
}
