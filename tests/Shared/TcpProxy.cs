using System.Net;
using System.Net.Sockets;

namespace ClusterRegistry.Tests;

/// <summary>What a <see cref="TcpProxy"/> does with new connections.</summary>
public enum ProxyMode
{
    /// <summary>Relays to the upstream.</summary>
    Forward,
    /// <summary>Accepts and closes at once (a server that is down).</summary>
    Refuse,
    /// <summary>Accepts and never answers (a hung server or a black-holed network).</summary>
    Blackhole,
}

/// <summary>
/// A TCP relay on 127.0.0.1 in front of a server (TLS passes through untouched), to break, refuse or black-hole its
/// connections on demand: a network failure between one client and the server, the server and other clients unaffected.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _open = [];
    private readonly Task _accepting;

    public TcpProxy(string upstream)
    {
        _upstream = new Uri(upstream);
        _listener.Start();
        _accepting = AcceptLoopAsync();
    }

    public ProxyMode Mode { get; set; } = ProxyMode.Forward;

    /// <summary>
    /// While set, what the upstream sends on relayed connections (open ones included) is discarded: requests still
    /// arrive and are executed, their answers never come back (a member that dies after applying a write).
    /// </summary>
    public bool DropAnswers { get; set; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>Cuts the client off, as a network partition would: open connections reset, new ones refused until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        Mode = ProxyMode.Refuse;
        DropAll();
    }

    public void Restore() => Mode = ProxyMode.Forward;

    /// <summary>Closes every open connection (both sides), as a network failure or a server restart would.</summary>
    public void DropAll()
    {
        Socket[] open;
        lock (_open)
        {
            open = [.. _open];
            _open.Clear();
        }
        foreach (var socket in open)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0); // RST, like a crashed peer
                socket.Close();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            switch (Mode)
            {
                case ProxyMode.Refuse:
                    client.Close();
                    break;
                case ProxyMode.Blackhole:
                    Track(client);
                    _ = DrainAsync(client);
                    break;
                default:
                    _ = RelayAsync(client);
                    break;
            }
        }
    }

    private void Track(Socket socket)
    {
        lock (_open) _open.Add(socket);
    }

    private async Task DrainAsync(Socket client)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token) > 0)
            {
            }
        }
        catch (Exception)
        {
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await server.ConnectAsync(_upstream.Host, _upstream.Port, _stop.Token);
        }
        catch (Exception)
        {
            client.Close();
            server.Dispose();
            return;
        }
        Track(client);
        Track(server);
        await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client, answers: true));
        client.Close();
        server.Close();
    }

    private async Task PumpAsync(Socket from, Socket to, bool answers = false)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
                if (!(answers && DropAnswers)) await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
        }
        catch (Exception)
        {
            // A dropped or closed connection ends the relay.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropAll();
        try
        {
            await _accepting;
        }
        catch (Exception)
        {
        }
        _stop.Dispose();
    }
}
