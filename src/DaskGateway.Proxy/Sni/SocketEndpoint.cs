using System.Net.Sockets;

namespace DaskGateway.Proxy.Sni;

/// <summary>A connected TCP socket: the scheduler's side, or the client's socket under Kestrel.</summary>
internal sealed class SocketEndpoint : ProxyEndpoint
{
    private readonly Socket _socket;
    private readonly bool _ownsSocket;

    public SocketEndpoint(Socket socket, bool ownsSocket)
    {
        _socket = socket;
        _ownsSocket = ownsSocket;
    }

    public override async ValueTask WaitForDataAsync(CancellationToken cancellationToken) =>
        await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken);

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    public override async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await _socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }

    public override void ShutdownSend()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The peer is gone already; the other direction finds out on its own.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public override ValueTask DisposeAsync()
    {
        if (_ownsSocket)
        {
            _socket.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
