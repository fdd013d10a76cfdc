using System.Net;
using System.Net.Sockets;

namespace ClusterRegistry.Tests.Client;

/// <summary>
/// A loopback TCP relay in front of the server (TLS passes through untouched), so a test can cut one client off:
/// <see cref="Cut"/> resets every relayed connection and refuses new ones until <see cref="Restore"/>, as a network
/// partition would. The server and the other clients are unaffected.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(Socket Client, Socket Upstream)> _pairs = [];
    private readonly Task _accepting;
    private volatile bool _cut;

    public TcpRelay(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        _accepting = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Accepted { get; private set; }

    public void Cut()
    {
        _cut = true;
        lock (_pairs)
        {
            foreach (var (client, upstream) in _pairs)
            {
                Reset(client);
                Reset(upstream);
            }
            _pairs.Clear();
        }
    }

    public void Restore() => _cut = false;

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            if (_cut)
            {
                Reset(client);
                continue;
            }
            Accepted++;
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            Reset(client);
            upstream.Dispose();
            return;
        }
        lock (_pairs) _pairs.Add((client, upstream));
        await Task.WhenAny(PumpAsync(client, upstream), PumpAsync(upstream, client));
        lock (_pairs) _pairs.Remove((client, upstream));
        Reset(client);
        Reset(upstream);
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, _stop.Token);
                if (n == 0) return;
                await to.SendAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        await _accepting;
        _stop.Dispose();
    }
}
