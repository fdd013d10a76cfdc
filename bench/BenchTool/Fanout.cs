using System.Collections.Concurrent;
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
        var arrivals = new ConcurrentDictionary<string, ConcurrentBag<double>>();
        using var stop = new CancellationTokenSource();
        var ready = new CountdownEvent(watchers);
        var tasks = new List<Task>();
        for (var i = 0; i < watchers; i++)
            tasks.Add(Task.Run(() => WatchAsync(http, $"{collection}?watch=1&resourceVersion={startRv}&fieldSelector=metadata.name%3D{name}", clock, arrivals, ready, stop.Token)));
        if (!ready.Wait(TimeSpan.FromMinutes(3))) Console.Error.WriteLine($"fanout: only {watchers - ready.CurrentCount} watchers connected");
        var opened = Volatile.Read(ref _opened);

        // Warm-up, not measured (FANOUT_WARMUP updates, 10 by default; 0 measures the cold path): the fan-out path's
        // code is only run once the watchers are open, and without these updates the first measured ones ran it
        // while the JIT was still compiling and re-compiling it (a fifth of the server's CPU was in the JIT), as the
        // other rows' warm-up avoids for theirs.
        var warmup = int.TryParse(Environment.GetEnvironmentVariable("FANOUT_WARMUP"), out var w) ? w : 10;
        var warmed = new List<string>();
        for (var u = 0; u < warmup; u++)
        {
            var response = await http.PatchAsync($"{collection}/{name}",
                new StringContent("{\"metadata\":{\"annotations\":{\"warmup\":\"" + u + "\"}}}", Encoding.UTF8, "application/merge-patch+json"));
            response.EnsureSuccessStatusCode();
            warmed.Add(RvOf(await response.Content.ReadAsStringAsync()));
            await Task.Delay(100);
        }
        var warmDeadline = DateTime.UtcNow.AddSeconds(30);
        while (warmup > 0 && DateTime.UtcNow < warmDeadline && warmed.Sum(rv => arrivals.TryGetValue(rv, out var b) ? b.Count : 0) < (long)opened * warmup)
            await Task.Delay(100);
        if (warmup > 0) await Task.Delay(TimeSpan.FromSeconds(2));
        // FANOUT_READY_FILE is created once the watchers are open and warm, so a profiler can attach for the measured updates only.
        if (Environment.GetEnvironmentVariable("FANOUT_READY_FILE") is { Length: > 0 } readyFile) await File.WriteAllTextAsync(readyFile, "");

        // The server's CPU over the updates and their delivery: per delivered event it moves far less with the shared
        // machine's load than the latencies do.
        var cpuBefore = serverPid > 0 ? CpuTicks(serverPid) : 0;
        // This process's CPU too: on a 2-core host the watchers' client competes with the server for the cores, so
        // its cost per event bounds the latencies as much as the server's does.
        var clientCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var written = new Dictionary<string, double>();
        for (var u = 0; u < updates; u++)
        {
            var response = await http.PatchAsync($"{collection}/{name}",
                new StringContent("{\"metadata\":{\"annotations\":{\"update\":\"" + u + "\"}}}", Encoding.UTF8, "application/merge-patch+json"));
            var at = clock.Elapsed.TotalMilliseconds;
            response.EnsureSuccessStatusCode();
            written[RvOf(await response.Content.ReadAsStringAsync())] = at;
            await Task.Delay(100);
        }
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline && written.Keys.Sum(rv => arrivals.TryGetValue(rv, out var b) ? b.Count : 0) < (long)opened * updates)
            await Task.Delay(100);
        var cpuTicks = serverPid > 0 ? CpuTicks(serverPid) - cpuBefore : 0;
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime - clientCpuBefore;
        var rssWith = serverPid > 0 ? RssKiB(serverPid) : 0;
        // FANOUT_HOLD_SECONDS keeps the watchers open after the measurement, to inspect the server (dotnet-gcdump, pmap).
        if (int.TryParse(Environment.GetEnvironmentVariable("FANOUT_HOLD_SECONDS"), out var hold)) await Task.Delay(TimeSpan.FromSeconds(hold));
        var rss = serverPid > 0 && opened > 0
            ? $"  server RSS {rssWith / 1024} MiB ({(rssWith - rssBefore) / opened} KiB per watcher over {rssBefore / 1024} MiB before)"
            : "";
        await stop.CancelAsync();

        var latencies = new List<double>();
        foreach (var (rv, at) in written)
            if (arrivals.TryGetValue(rv, out var bag)) latencies.AddRange(bag.Select(t => Math.Max(0, t - at)));
        latencies.Sort();
        // FANOUT_DETAIL names a file for each update's own p50/p99/max: with 20 updates the overall p99 is set by the
        // slowest deliveries of one or two updates (the first after the watchers opened, a GC), which this shows.
        if (Environment.GetEnvironmentVariable("FANOUT_DETAIL") is { Length: > 0 } detail)
            await File.WriteAllLinesAsync(detail, written.Select((w, u) =>
            {
                var own = arrivals.TryGetValue(w.Key, out var b) ? b.Select(t => Math.Max(0, t - w.Value)).Order().ToList() : [];
                return own.Count == 0 ? $"update {u}: none delivered"
                    : $"update {u}: delivered {own.Count} p50 {own[own.Count / 2]:F1} ms p99 {own[Math.Min(own.Count - 1, (int)(0.99 * own.Count))]:F1} ms max {own[^1]:F1} ms";
            }));
        double P(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        var cpu = serverPid > 0 && latencies.Count > 0 ? $"  server CPU {cpuTicks * 1_000_000.0 / TicksPerSecond / latencies.Count:F0} us per delivered event" : "";
        if (latencies.Count > 0) cpu += $" (client {clientCpu.TotalMicroseconds / latencies.Count:F0} us)";
        Console.WriteLine($"fanout {watchers} {(http2 ? "HTTP/2" : "HTTP/1.1")} watchers ({opened} open) x {updates} updates: p50 {P(0.5):F1} ms  p99 {P(0.99):F1} ms  delivered {latencies.Count}/{(long)watchers * updates}{cpu}{rss}");
        return 0;
    }

    private static int _opened;

    private static async Task WatchAsync(HttpClient http, string url, Stopwatch clock, ConcurrentDictionary<string, ConcurrentBag<double>> arrivals,
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
            var buffer = new byte[16 * 1024];
            var filled = 0;
            while (true)
            {
                if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                var n = await body.ReadAsync(buffer.AsMemory(filled), ct);
                if (n == 0) break;
                var at = clock.Elapsed.TotalMilliseconds;
                filled += n;
                var start = 0;
                int newline;
                while ((newline = buffer.AsSpan(start, filled - start).IndexOf((byte)'\n')) >= 0)
                {
                    arrivals.GetOrAdd(ResourceVersionOf(buffer.AsSpan(start, newline)), _ => []).Add(at);
                    start += newline + 1;
                }
                buffer.AsSpan(start, filled - start).CopyTo(buffer);
                filled -= start;
            }
            if (!ct.IsCancellationRequested) Console.Error.WriteLine("fanout: the server ended a watch");
        }
        catch (OperationCanceledException) { }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            Console.Error.WriteLine($"fanout: watcher failed: {e.Message}{(e.InnerException is { } inner ? " (" + inner.Message + ")" : "")}");
        }
        finally
        {
            if (!signalled) ready.Signal();
        }
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

    /// <summary>The event object's metadata.resourceVersion (a Cluster has no other field of that name).</summary>
    private static string ResourceVersionOf(ReadOnlySpan<byte> line)
    {
        var key = "\"resourceVersion\":\""u8;
        var at = line.IndexOf(key);
        if (at < 0) throw new InvalidDataException("watch event without a resourceVersion: " + Encoding.UTF8.GetString(line));
        var value = line[(at + key.Length)..];
        return Encoding.UTF8.GetString(value[..value.IndexOf((byte)'"')]);
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static string RvOf(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString()!;
    }
}
