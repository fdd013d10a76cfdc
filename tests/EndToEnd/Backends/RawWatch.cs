using System.Text.Json;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>A raw watch stream read event by event, ERROR events included (the replica and fault tests expect 410s).</summary>
public sealed class RawWatch : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;
    private Task<string?>? _pending;

    private RawWatch(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public HttpResponseMessage Response => _response;

    public static Task<RawWatch> OpenAsync(HttpClient client, string query) =>
        OpenAsync(client, "/apis/clusterregistry.k8s.io/v1alpha1/clusters?watch=true&" + query, accept: null);

    /// <summary>A watch of <paramref name="path"/> with the given Accept (and Accept-Encoding, when not null) headers.</summary>
    public static async Task<RawWatch> OpenAsync(HttpClient client, string path, string? accept, string? acceptEncoding = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        if (acceptEncoding is not null) request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        return new RawWatch(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>The next event, or null when the stream ended or nothing arrived within <paramref name="wait"/>.</summary>
    public async Task<JsonElement?> NextAsync(TimeSpan wait) =>
        await NextLineAsync(wait) is { } line ? JsonDocument.Parse(line).RootElement.Clone() : null;

    /// <summary>The next event line as sent, or null when the stream ended or nothing arrived within <paramref name="wait"/>.</summary>
    public async Task<string?> NextLineAsync(TimeSpan wait)
    {
        _pending ??= _reader.ReadLineAsync();
        if (await Task.WhenAny(_pending, Task.Delay(wait)) != _pending) return null;
        try
        {
            return await _pending;
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return null;
        }
        finally
        {
            _pending = null;
        }
    }

    public ValueTask DisposeAsync()
    {
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
