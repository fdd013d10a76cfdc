using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace ClusterRegistry.Tests.EndToEnd.Infrastructure;

/// <summary>A response read off the wire: status code, raw header block and (de-chunked) body.</summary>
public sealed record RawResponse(int StatusCode, string Headers, string Body);

/// <summary>
/// Sends one HTTP/1.1 request exactly as written (HttpClient and Uri would normalize dot segments, case and
/// whitespace before anything leaves the process), over TLS to a server under test on loopback.
/// </summary>
public static class RawHttp
{
    /// <summary>An HTTP/1.1 TLS connection to the server under test; <paramref name="receiveBuffer"/> shrinks the client's window.</summary>
    public static async Task<(TcpClient Tcp, SslStream Tls)> ConnectAsync(int port, int? receiveBuffer = null)
    {
        var tcp = new TcpClient();
        if (receiveBuffer is { } size) tcp.ReceiveBufferSize = size;
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        });
        return (tcp, tls);
    }

    public static async Task<RawResponse> SendAsync(int port, string method, string target, string? token,
        string? body = null, string contentType = "application/json", IEnumerable<string>? headers = null)
    {
        var (tcp, tls) = await ConnectAsync(port);
        using var _ = tcp;
        await using var __ = tls;
        var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        var head = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
        if (token is not null) head.Append($"Authorization: Bearer {token}\r\n");
        if (body is not null) head.Append($"Content-Type: {contentType}\r\nContent-Length: {bytes.Length}\r\n");
        foreach (var h in headers ?? []) head.Append(h).Append("\r\n");
        head.Append("\r\n");
        await tls.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        await tls.WriteAsync(bytes);
        await tls.FlushAsync();

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var received = new MemoryStream();
        try
        {
            await tls.CopyToAsync(received, cts.Token);
        }
        catch (IOException)
        {
            // The server may reset after answering (Connection: close); what arrived is the answer.
        }
        return Parse(Encoding.UTF8.GetString(received.ToArray()));
    }

    private static RawResponse Parse(string text)
    {
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0) throw new InvalidDataException("no complete response: " + text);
        var headers = text[..split];
        var body = text[(split + 4)..];
        var status = int.Parse(headers.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        if (headers.Contains("transfer-encoding: chunked", StringComparison.OrdinalIgnoreCase)) body = Dechunk(body);
        return new RawResponse(status, headers, body);
    }

    private static string Dechunk(string body)
    {
        var result = new StringBuilder();
        var pos = 0;
        while (pos < body.Length)
        {
            var eol = body.IndexOf("\r\n", pos, StringComparison.Ordinal);
            if (eol < 0) break;
            var size = Convert.ToInt32(body[pos..eol].Split(';')[0], 16);
            if (size == 0) break;
            result.Append(body, eol + 2, size);
            pos = eol + 2 + size + 2;
        }
        return result.ToString();
    }
}
