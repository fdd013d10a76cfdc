using System.Diagnostics;
using System.Net;
using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using Xunit.Abstractions;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>etcd (one member) stopped and started again under a running server: fail fast with a Status, recover without a restart, never skip a watch event.</summary>
[Requires(Prerequisite.Docker)]
public sealed class EtcdOutageTests(EtcdContainer etcd, ITestOutputHelper output) : IClassFixture<EtcdContainer>, IAsyncLifetime
{
    private ServerProcess _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await ServerProcess.StartAsync(null, null, etcd.ServerArgs);
        _client = _server.CreateClient();
        _client.Timeout = TimeSpan.FromSeconds(60);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    /// <param name="outageSeconds">
    /// How long etcd stays down at least: 0 is a blip (stopped and started at once), 10 a real outage, past the
    /// server's 5 s etcd deadline, so nothing inside one request or one watch reconnect can hide it.
    /// </param>
    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    public async Task EtcdStoppedAndStarted_FailsFastWithStatus_RecoversWithoutServerRestart_WatchNeverSkipsSilently(int outageSeconds)
    {
        var outageLength = TimeSpan.FromSeconds(outageSeconds);
        var name = Api.UniqueName("eout");
        var created = await Api.CreateAsync(_client, name);
        await using var watch = await WatchRecorder.OpenAsync(_server, $"resourceVersion={Api.ResourceVersion(created)}");
        var before = await Api.PatchAsync(_client, Api.Item(name), """{"metadata":{"labels":{"phase":"before"}}}""");
        // The watch starts after the create: it is to deliver the acknowledged writes that follow it.
        var acknowledged = new List<long> { long.Parse(Api.ResourceVersion(before)) };
        Assert.True(await watch.WaitAsync(ev => Delivered(ev).Contains(acknowledged[^1]), TimeSpan.FromSeconds(30)),
            $"the watch did not deliver the write before the outage (ended: {watch.EndReason ?? "no"})");

        var sw = Stopwatch.StartNew();
        await etcd.StopAsync();
        var down = Stopwatch.StartNew();
        output.WriteLine($"etcd stopped in {sw.ElapsedMilliseconds} ms");

        sw.Restart();
        using (var get = await _client.GetAsync(Api.Item(name)))
        {
            output.WriteLine($"GET failed with {(int)get.StatusCode} in {sw.ElapsedMilliseconds} ms while etcd was down");
            await AssertUnavailableAsync(get, "GET");
        }
        var lost = Api.UniqueName("eout-down");
        sw.Restart();
        using (var create = await _client.PostAsync(Api.Collection, Api.Body(Api.NewCluster(lost))))
        {
            output.WriteLine($"create failed with {(int)create.StatusCode} in {sw.ElapsedMilliseconds} ms while etcd was down");
            await AssertUnavailableAsync(create, "create");
        }
        sw.Restart();
        using (var ready = await _client.GetAsync("/readyz?verbose"))
        {
            var text = await ready.Content.ReadAsStringAsync();
            output.WriteLine($"/readyz answered {(int)ready.StatusCode} in {sw.ElapsedMilliseconds} ms while etcd was down");
            Assert.True(HttpStatusCode.InternalServerError == ready.StatusCode, $"/readyz?verbose answered {(int)ready.StatusCode}:\n{text}");
            Assert.Contains("[-]etcd failed", text);
        }

        // Keep it down for the outage's length: requests go on failing fast.
        var probes = 0;
        while (down.Elapsed < outageLength)
        {
            await Task.Delay(1000);
            using var probe = await _client.GetAsync(Api.Item(name));
            await AssertUnavailableAsync(probe, "GET");
            probes++;
        }
        output.WriteLine($"{probes} more GETs failed during the {down.ElapsedMilliseconds} ms outage");

        sw.Restart();
        await etcd.StartAsync();
        output.WriteLine($"etcd started again in {sw.ElapsedMilliseconds} ms");

        // The same server process recovers (bounded retries): the object written before the outage is still there.
        sw.Restart();
        var (code, text2) = await RetryAsync(() => _client.GetAsync(Api.Item(name)), TimeSpan.FromSeconds(60));
        output.WriteLine($"first successful GET {sw.ElapsedMilliseconds} ms after etcd started");
        Assert.True(code == HttpStatusCode.OK, $"GET after the restart: {(int)code} {text2}");
        var read = System.Text.Json.JsonDocument.Parse(text2).RootElement;
        Assert.Equal(Api.ResourceVersion(before), Api.ResourceVersion(read));
        Assert.Equal("before", Api.Label(read, "phase"));

        var (createCode, createText) = await RetryAsync(
            () => _client.PostAsync(Api.Collection, Api.Body(Api.NewCluster(Api.UniqueName("eout-after")))), TimeSpan.FromSeconds(30));
        Assert.True(createCode == HttpStatusCode.Created, $"create after the restart: {(int)createCode} {createText}");
        acknowledged.Add(long.Parse(Api.ResourceVersion(System.Text.Json.JsonDocument.Parse(createText).RootElement)));
        var after = await Api.PatchAsync(_client, Api.Item(name), """{"metadata":{"labels":{"phase":"after"}}}""");
        acknowledged.Add(long.Parse(Api.ResourceVersion(after)));
        var (readyCode, readyText) = await RetryAsync(() => _client.GetAsync("/readyz"), TimeSpan.FromSeconds(30));
        Assert.True(readyCode == HttpStatusCode.OK, $"/readyz after the restart: {(int)readyCode} {readyText}");
        using (var lostRead = await _client.GetAsync(Api.Item(lost)))
            output.WriteLine($"the create refused while etcd was down: GET answers {(int)lostRead.StatusCode} now");

        // The watch opened before the outage resumes and delivers the writes made after it, or it ended (410 ERROR or
        // end of stream) having delivered every acknowledged write up to where it ended: it never skips silently.
        await watch.WaitAsync(ev => Delivered(ev).Contains(acknowledged[^1]), TimeSpan.FromSeconds(60));
        var events = watch.Events;
        var delivered = WatchRecorder.ObjectEvents(events);
        var rvs = delivered.Select(d => d.Rv).ToList();
        output.WriteLine("watch: " + string.Join(", ", delivered.Select(d => $"{d.Type} {d.Name}@{d.Rv}")) + $"; ended: {watch.EndReason ?? "no"}");
        Assert.True(rvs.Zip(rvs.Skip(1)).All(p => p.First < p.Second), "watch resourceVersions are not strictly increasing: " + string.Join(",", rvs));
        var upTo = rvs.Count > 0 ? rvs[^1] : 0;
        foreach (var rv in acknowledged.Where(rv => rv <= upTo))
            Assert.True(rvs.Contains(rv), $"the watch skipped the acknowledged write at {rv} but delivered up to {upTo}");
        Assert.All(delivered, d => Assert.True(acknowledged.Contains(d.Rv) || d.Name == lost, $"unexpected event {d.Type} {d.Name}@{d.Rv}"));
        if (watch.EndReason is { } reason)
        {
            Assert.DoesNotContain("followed by", reason);
            if (WatchRecorder.Error(events) is { } status)
            {
                Assert.Equal("Status", status.GetProperty("kind").GetString());
                Assert.True(status.GetProperty("code").GetInt32() == 410, $"the watch ended with an ERROR other than 410: {status.GetRawText()}");
            }
            output.WriteLine("the watch ended (the client must re-list): " + reason);
        }
        else
        {
            Assert.True(rvs.Contains(acknowledged[^1]), "the watch is still open but did not deliver the write made after the restart within 60 s");
            output.WriteLine("the watch resumed and delivered the writes made after the restart");
        }
    }

    private static HashSet<long> Delivered(List<System.Text.Json.JsonElement> events) =>
        WatchRecorder.ObjectEvents(events).Select(e => e.Rv).ToHashSet();

    private static async Task AssertUnavailableAsync(HttpResponseMessage response, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout,
            $"expected 503 or 504 for a {what} while etcd is down, got {(int)response.StatusCode}: {text}");
        var status = await Api.ReadJsonAsync(response);
        Assert.Equal("Status", status.GetProperty("kind").GetString());
        Assert.Equal("Failure", status.GetProperty("status").GetString());
        Assert.Equal((int)response.StatusCode, status.GetProperty("code").GetInt32());
    }

    /// <summary>Sends until the answer is not a 5xx (or no answer), for at most <paramref name="budget"/>; returns the last answer.</summary>
    private static async Task<(HttpStatusCode Code, string Text)> RetryAsync(Func<Task<HttpResponseMessage>> send, TimeSpan budget)
    {
        var deadline = DateTime.UtcNow + budget;
        (HttpStatusCode, string) last = (0, "no answer");
        while (true)
        {
            try
            {
                using var response = await send();
                last = (response.StatusCode, await response.Content.ReadAsStringAsync());
                if ((int)response.StatusCode < 500) return last;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = (0, e.Message);
            }
            if (DateTime.UtcNow > deadline) return last;
            await Task.Delay(500);
        }
    }
}
