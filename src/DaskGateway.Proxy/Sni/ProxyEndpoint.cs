namespace DaskGateway.Proxy.Sni;

/// <summary>
/// One side of a piped connection as the byte pump sees it: bytes in, bytes out, and a way to say
/// "no more bytes from me" (a TCP half-close) while still receiving.
/// </summary>
internal abstract class ProxyEndpoint : IAsyncDisposable
{
    /// <summary>Waits until bytes (or the end of the stream) can be received, holding no buffer meanwhile.</summary>
    public abstract ValueTask WaitForDataAsync(CancellationToken cancellationToken);

    /// <summary>Receives some bytes; 0 at the end of the stream.</summary>
    public abstract ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Sends all of <paramref name="data"/>.</summary>
    public abstract ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Ends the sending direction; the other direction stays open.</summary>
    public abstract void ShutdownSend();

    public abstract ValueTask DisposeAsync();
}
