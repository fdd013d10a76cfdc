using System.Net.Http.Headers;

namespace ClusterRegistry.Infrastructure.Delegated;

/// <summary>
/// Sends the bearer token read from a file, re-read once a minute: a pod's projected ServiceAccount token is
/// replaced by the kubelet before it expires, so a token read once at start-up would stop working after an hour.
/// </summary>
internal sealed class TokenFileHandler(string path) : DelegatingHandler
{
    private static readonly TimeSpan RereadAfter = TimeSpan.FromMinutes(1);
    private readonly Lock _lock = new();
    private string _token = "";
    private DateTime _readAt = DateTime.MinValue;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Current());
        return base.SendAsync(request, cancellationToken);
    }

    private string Current()
    {
        lock (_lock)
        {
            if (DateTime.UtcNow - _readAt > RereadAfter)
            {
                try
                {
                    _token = File.ReadAllText(path).Trim();
                    _readAt = DateTime.UtcNow;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A token being replaced may be missing for a moment: keep the last one; without one, the
                    // callers' handling of a failed request (deny, not authenticated) applies.
                    if (_token.Length == 0) throw new HttpRequestException($"cannot read the token file {path}: {e.Message}", e);
                }
            }
            return _token;
        }
    }
}
