using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace BenchTool;

/// <summary>
/// The fan-out's watchers over HTTP/2 without HttpClient: one TLS connection carries up to 100 watches (Kestrel's
/// stream limit), as one client-go process multiplexes its watches, and one loop per connection reads its frames and
/// records each event as its DATA frame is parsed. HttpClient gives every stream its own buffer and wakes a reader
/// task per event; on the 2-core host this client shares with the server that cost ~18 µs of CPU per event, more than
/// the server's whole fan-out path, and a measurement of delivery latency then measured mostly the client. This is
/// just enough HTTP/2 (RFC 9113) for GET streams: literal HPACK request headers, a response's :status read from
/// Kestrel's indexed 200 (other header blocks are not decoded: nothing here needs them), flow-control windows kept
/// open, SETTINGS and PING acknowledged.
/// </summary>
public sealed class Http2Watches : IAsyncDisposable
{
    private const byte Data = 0, Headers = 1, RstStream = 3, Settings = 4, Ping = 6, GoAway = 7, WindowUpdate = 8;
    private const byte EndStream = 0x1, Ack = 0x1, EndHeaders = 0x4, Padded = 0x8, Priority = 0x20;
    private const int Window = 1 << 30;

    private readonly TcpClient _tcp;
    private readonly SslStream _ssl;
    private readonly Stopwatch _clock;
    private readonly Dictionary<int, Watch> _watches = [];
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private long _unacknowledged;
    private Task? _reading;

    private sealed class Watch(Arrivals.WatcherLog log, Action<bool> opened)
    {
        public readonly Arrivals.WatcherLog Log = log;
        public readonly Action<bool> Opened = opened;
        public byte[] Pending = new byte[4096];
        public int Filled;
        public bool Started;
    }

    private Http2Watches(TcpClient tcp, SslStream ssl, Stopwatch clock) => (_tcp, _ssl, _clock) = (tcp, ssl, clock);

    /// <summary>Connects, negotiates h2 and sends the connection preface with windows large enough never to fill.</summary>
    public static async Task<Http2Watches> ConnectAsync(Uri server, Stopwatch clock, CancellationToken ct)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(server.Host, server.Port, ct);
        var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = server.Host,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        }, ct);
        if (ssl.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
            throw new InvalidOperationException("the server did not negotiate h2");
        var connection = new Http2Watches(tcp, ssl, clock);
        var preface = new List<byte>("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        // SETTINGS: ENABLE_PUSH 0, INITIAL_WINDOW_SIZE 2^30 for every stream; then the connection's own window.
        preface.AddRange(Frame(Settings, 0, 0, [0, 2, 0, 0, 0, 0, 0, 4, .. BigEndian(Window)]));
        preface.AddRange(Frame(WindowUpdate, 0, 0, BigEndian(Window - 65_535)));
        await ssl.WriteAsync(preface.ToArray(), ct);
        await ssl.FlushAsync(ct);
        connection._reading = connection.ReadLoopAsync();
        return connection;
    }

    /// <summary>Opens a watch GET on stream <paramref name="streamId"/> (odd, increasing); <paramref name="opened"/> is called once with whether it got a 200.</summary>
    public async Task OpenAsync(int streamId, Uri target, string token, Arrivals.WatcherLog log, Action<bool> opened, CancellationToken ct)
    {
        lock (_watches) _watches[streamId] = new Watch(log, opened);
        var block = new List<byte> { 0x82, 0x87 }; // :method GET, :scheme https (static table 2 and 7)
        Literal(block, 4, 4, target.PathAndQuery); // :path, name indexed (4)
        Literal(block, 4, 1, target.Authority); // :authority, name indexed (1)
        Literal(block, 4, 23, "Bearer " + token); // authorization, name indexed (23)
        var frame = Frame(Headers, EndStream | EndHeaders, streamId, [.. block]);
        await _writeLock.WaitAsync(ct);
        try
        {
            await _ssl.WriteAsync(frame, ct);
            await _ssl.FlushAsync(ct);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[256 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                var n = await _ssl.ReadAsync(buffer.AsMemory(filled));
                if (n == 0) return;
                var at = _clock.Elapsed.TotalMilliseconds;
                filled += n;
                var start = 0;
                while (filled - start >= 9)
                {
                    var length = buffer[start] << 16 | buffer[start + 1] << 8 | buffer[start + 2];
                    if (length > buffer.Length - 9) throw new InvalidDataException($"an HTTP/2 frame of {length} bytes");
                    if (filled - start < 9 + length) break;
                    var type = buffer[start + 3];
                    var flags = buffer[start + 4];
                    var stream = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(start + 5)) & int.MaxValue;
                    await OnFrameAsync(type, flags, stream, buffer.AsMemory(start + 9, length), at);
                    start += 9 + length;
                }
                buffer.AsSpan(start, filled - start).CopyTo(buffer);
                filled -= start;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException) { }
        catch (Exception e)
        {
            // Reported rather than lost with the task: the watches of this connection deliver nothing more.
            Console.Error.WriteLine($"fanout: an HTTP/2 connection's reader failed: {e.Message}");
        }
        finally
        {
            lock (_watches)
                foreach (var watch in _watches.Values)
                    if (!watch.Started) watch.Opened(false);
        }
    }

    private async ValueTask OnFrameAsync(byte type, byte flags, int stream, Memory<byte> payload, double at)
    {
        switch (type)
        {
            case Data:
                var data = Unpadded(flags, payload.Span);
                if (Find(stream) is { } watch) Append(watch, data, at);
                // The windows are 2^30 and a run moves a few MB, but they are topped up anyway rather than assumed.
                _unacknowledged += payload.Length;
                if (_unacknowledged > Window / 2)
                {
                    await WriteAsync(Frame(WindowUpdate, 0, 0, BigEndian((int)_unacknowledged)));
                    _unacknowledged = 0;
                }
                if ((flags & EndStream) != 0) Console.Error.WriteLine("fanout: the server ended a watch");
                break;
            case Headers:
                if (Find(stream) is { Started: false } opening)
                {
                    var block = Unpadded(flags, payload.Span);
                    if ((flags & Priority) != 0) block = block[5..];
                    // Kestrel writes :status 200 first, as the static table's entry 8 (0x88).
                    opening.Started = true;
                    opening.Opened(block.Length > 0 && block[0] == 0x88);
                }
                break;
            case Settings when (flags & Ack) == 0:
                await WriteAsync(Frame(Settings, Ack, 0, []));
                break;
            case Ping when (flags & Ack) == 0:
                await WriteAsync(Frame(Ping, Ack, 0, payload.ToArray()));
                break;
            case RstStream:
                Console.Error.WriteLine($"fanout: the server reset watch stream {stream}");
                break;
            case GoAway:
                Console.Error.WriteLine("fanout: the server sent GOAWAY");
                break;
        }
    }

    private Watch? Find(int stream)
    {
        lock (_watches) return _watches.GetValueOrDefault(stream);
    }

    /// <summary>Adds a DATA frame's bytes to its watch's partial line and records every complete event line.</summary>
    private static void Append(Watch watch, ReadOnlySpan<byte> data, double at)
    {
        if (watch.Filled + data.Length > watch.Pending.Length) Array.Resize(ref watch.Pending, Math.Max(watch.Pending.Length * 2, watch.Filled + data.Length));
        data.CopyTo(watch.Pending.AsSpan(watch.Filled));
        watch.Filled += data.Length;
        var start = watch.Log.AddLines(watch.Pending.AsSpan(0, watch.Filled), at);
        watch.Pending.AsSpan(start, watch.Filled - start).CopyTo(watch.Pending);
        watch.Filled -= start;
    }

    private static ReadOnlySpan<byte> Unpadded(byte flags, ReadOnlySpan<byte> payload) =>
        (flags & Padded) == 0 ? payload : payload[1..^payload[0]];

    private async ValueTask WriteAsync(byte[] frame)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _ssl.WriteAsync(frame);
            await _ssl.FlushAsync();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static byte[] Frame(byte type, byte flags, int stream, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), stream);
        payload.CopyTo(frame, 9);
        return frame;
    }

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>An HPACK literal header field without indexing (RFC 7541 6.2.2), its name from the static table, its value not Huffman-coded.</summary>
    private static void Literal(List<byte> block, int prefixBits, int nameIndex, string value)
    {
        Integer(block, 0x00, prefixBits, nameIndex);
        var bytes = Encoding.ASCII.GetBytes(value);
        Integer(block, 0x00, 7, bytes.Length);
        block.AddRange(bytes);
    }

    /// <summary>An HPACK integer (RFC 7541 5.1) with an N-bit prefix after the <paramref name="flags"/> bits.</summary>
    private static void Integer(List<byte> block, byte flags, int prefixBits, int value)
    {
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            block.Add((byte)(flags | value));
            return;
        }
        block.Add((byte)(flags | max));
        for (value -= max; value >= 128; value >>= 7) block.Add((byte)(value % 128 + 128));
        block.Add((byte)value);
    }

    public async ValueTask DisposeAsync()
    {
        _ssl.Dispose();
        _tcp.Dispose();
        if (_reading is not null) await _reading;
        _writeLock.Dispose();
    }
}
