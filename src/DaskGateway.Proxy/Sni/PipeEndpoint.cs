using System.Buffers;
using System.IO.Pipelines;

namespace DaskGateway.Proxy.Sni;

/// <summary>
/// A duplex pipe as one side of a piped connection: a client on a transport that exposes no
/// socket, or either side in memory (tests). Completing the output is the half-close.
/// </summary>
internal sealed class PipeEndpoint : ProxyEndpoint
{
    private readonly IDuplexPipe _pipe;

    public PipeEndpoint(IDuplexPipe pipe)
    {
        _pipe = pipe;
    }

    public override async ValueTask WaitForDataAsync(CancellationToken cancellationToken)
    {
        var result = await _pipe.Input.ReadAsync(cancellationToken);
        _pipe.Input.AdvanceTo(result.Buffer.Start);
    }

    public override async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var result = await _pipe.Input.ReadAsync(cancellationToken);
        var count = (int)Math.Min(result.Buffer.Length, buffer.Length);
        result.Buffer.Slice(0, count).CopyTo(buffer.Span);
        _pipe.Input.AdvanceTo(result.Buffer.GetPosition(count));
        return count;
    }

    public override async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var flush = await _pipe.Output.WriteAsync(data, cancellationToken);
        if (flush.IsCompleted)
        {
            // The reader is gone: as a socket would, report a broken connection.
            throw new IOException("The other side stopped reading.");
        }
    }

    public override void ShutdownSend() => _pipe.Output.Complete();

    public override ValueTask DisposeAsync()
    {
        _pipe.Output.Complete();
        _pipe.Input.Complete();
        return ValueTask.CompletedTask;
    }
}
