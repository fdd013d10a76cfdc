using System.Net;
using System.Text.Json;
using ClusterRegistry.Tests.EndToEnd.Http;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>
/// A raw watch read in the background into a list, ERROR events included, telling the end of the stream (and why) apart
/// from silence; the fault tests check what it delivered after the writes are done.
/// </summary>
public sealed class WatchRecorder : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<JsonElement> _events = [];
    private readonly Task _reader;
    private string? _endReason;

    private WatchRecorder(HttpClient client, HttpResponseMessage response)
    {
        _client = client;
        _response = response;
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>Opens <c>?watch=true&amp;{query}</c> on <paramref name="server"/> with its own client (no overall timeout).</summary>
    public static async Task<WatchRecorder> OpenAsync(Infrastructure.ServerProcess server, string query)
    {
        var client = server.CreateClient();
        client.Timeout = Timeout.InfiniteTimeSpan;
        using var headers = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Api.Collection + "?watch=true&" + query),
            HttpCompletionOption.ResponseHeadersRead, headers.Token);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var text = await response.Content.ReadAsStringAsync();
            response.Dispose();
            client.Dispose();
            throw new Xunit.Sdk.XunitException($"watch ?{query} answered {(int)response.StatusCode}: {text}");
        }
        return new WatchRecorder(client, response);
    }

    /// <summary>Every event read so far (BOOKMARKs and ERRORs included), in stream order.</summary>
    public List<JsonElement> Events
    {
        get { lock (_events) return [.. _events]; }
    }

    /// <summary>Null while the stream is open; otherwise how it ended ("end of stream", "ERROR ...", "broken: ...").</summary>
    public string? EndReason
    {
        get { lock (_events) return _endReason; }
    }

    public bool Ended => EndReason is not null;

    private async Task ReadAsync()
    {
        string reason;
        try
        {
            using var reader = new StreamReader(await _response.Content.ReadAsStreamAsync(_stop.Token));
            while (true)
            {
                var line = await reader.ReadLineAsync(_stop.Token);
                if (line is null)
                {
                    reason = "end of stream";
                    break;
                }
                if (line.Length == 0) continue;
                var e = JsonDocument.Parse(line).RootElement.Clone();
                lock (_events) _events.Add(e);
                if (e.GetProperty("type").GetString() == "ERROR")
                {
                    // Read on: nothing may follow an ERROR but the end of the stream.
                    reason = "ERROR " + e.GetProperty("object").GetRawText();
                    var after = await ReadRestAsync(reader);
                    if (after is not null) reason += " followed by " + after;
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            reason = "stopped by the test";
        }
        catch (Exception e) when (e is IOException or HttpRequestException or JsonException or OperationCanceledException)
        {
            reason = "broken: " + e.GetType().Name + ": " + e.Message;
        }
        lock (_events) _endReason = reason;
    }

    private async Task<string?> ReadRestAsync(StreamReader reader)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            var next = await reader.ReadLineAsync(cts.Token);
            return next is null ? null : "another line (the stream went on after an ERROR): " + next;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>Waits until <paramref name="done"/> holds for the events so far, the stream ends, or <paramref name="timeout"/> passes.</summary>
    public async Task<bool> WaitAsync(Func<List<JsonElement>, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var ended = Ended; // read before the events, so every event before the end is seen
            if (done(Events)) return true;
            if (ended || DateTime.UtcNow >= deadline) return false;
            await Task.Delay(100);
        }
    }

    /// <summary>The object events (ADDED/MODIFIED/DELETED) as (type, name, resourceVersion, object).</summary>
    public static List<(string Type, string Name, long Rv, JsonElement Object)> ObjectEvents(IEnumerable<JsonElement> events) =>
        events.Where(e => e.GetProperty("type").GetString() is "ADDED" or "MODIFIED" or "DELETED")
            .Select(e =>
            {
                var o = e.GetProperty("object");
                return (e.GetProperty("type").GetString()!, Api.Name(o), long.Parse(Api.ResourceVersion(o)), o);
            })
            .ToList();

    /// <summary>The Status of the ERROR event, if the stream sent one.</summary>
    public static JsonElement? Error(IEnumerable<JsonElement> events) =>
        events.Where(e => e.GetProperty("type").GetString() == "ERROR").Select(e => (JsonElement?)e.GetProperty("object")).FirstOrDefault();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        try { await _reader.WaitAsync(TimeSpan.FromSeconds(10)); } catch (TimeoutException) { }
        _client.Dispose();
        _stop.Dispose();
    }
}
