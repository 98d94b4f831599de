using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace SyncEngine.Testing;

/// <summary>
/// A server going away and coming back, as its clients see it: a loopback port forwarding to the real server that can cut
/// every connection at once (reset, mid-transfer) and refuse new ones until told to come back.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _host;
    private readonly int _port;
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile bool _down;

    public TcpProxy(string host, int port)
    {
        _host = host;
        _port = port;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections refused or cut so far.</summary>
    public int Cut { get; private set; }

    /// <summary>Resets every open connection and refuses new ones.</summary>
    public void GoDown()
    {
        _down = true;
        foreach (var socket in _open.Keys) Reset(socket);
    }

    public void ComeBack() => _down = false;

    private async Task AcceptAsync()
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
            if (_down)
            {
                Reset(client);
                continue;
            }
            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _open[client] = 0;
        _open[server] = 0;
        try
        {
            await server.ConnectAsync(_host, _port, _stop.Token);
            await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        }
        catch (Exception)
        {
            // Cut, or the other side closed: either way this connection is over.
        }
        finally
        {
            _open.TryRemove(client, out _);
            _open.TryRemove(server, out _);
            client.Dispose();
            server.Dispose();
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (read == 0 || _down) break;
            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
        }
        to.Shutdown(SocketShutdown.Send);
    }

    private void Reset(Socket socket)
    {
        Cut++;
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (ObjectDisposedException)
        {
            // Closed already.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var socket in _open.Keys) socket.Dispose();
        await _accepting;
        _stop.Dispose();
    }
}
