using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace DaskGateway.Tests.Infrastructure;

/// <summary>A raw TCP server on 127.0.0.1 port 0 that hands each accepted connection to a handler.</summary>
public sealed class TcpTestServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<Socket, Task> _handler;
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private readonly Task _accepting;
    private int _accepted;

    private TcpTestServer(Func<Socket, Task> handler)
    {
        _handler = handler;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(4096);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _accepting = AcceptAsync();
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>As an SNI route target: <c>tls://127.0.0.1:port</c>.</summary>
    public string TlsAddress => $"tls://127.0.0.1:{EndPoint.Port}";

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Starts a server; <paramref name="handler"/> owns the socket until it returns (the socket is then closed).</summary>
    public static TcpTestServer Start(Func<Socket, Task> handler) => new(handler);

    /// <summary>Echoes every byte, and answers the client's half-close with its own.</summary>
    public static TcpTestServer StartEcho() => Start(async socket =>
    {
        var buffer = new byte[16 * 1024];
        int count;
        while ((count = await socket.ReceiveAsync(buffer)) > 0)
        {
            await socket.SendAsync(buffer.AsMemory(0, count));
        }

        socket.Shutdown(SocketShutdown.Send);
    });

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        await _accepting;
        foreach (var socket in _connections.Keys)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_connections.Values);
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            _connections[socket] = Task.Run(() => RunAsync(socket));
        }
    }

    private async Task RunAsync(Socket socket)
    {
        try
        {
            await _handler(socket);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            // The peer (or the test) closed the connection.
        }
        finally
        {
            socket.Dispose();
        }
    }
}
