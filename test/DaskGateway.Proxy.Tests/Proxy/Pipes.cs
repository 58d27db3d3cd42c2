using System.Buffers;
using System.IO.Pipelines;

namespace DaskGateway.Proxy;

/// <summary>Reading and writing in-memory connections in tests, every wait bounded.</summary>
internal static class Pipes
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static async Task WriteAsync(PipeWriter writer, byte[] bytes) =>
        await writer.WriteAsync(bytes).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

    /// <summary>Reads exactly <paramref name="count"/> bytes.</summary>
    public static async Task<byte[]> ReadAsync(PipeReader reader, int count)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            var result = await reader.ReadAsync(timeout.Token);
            if (result.Buffer.Length >= count)
            {
                var bytes = result.Buffer.Slice(0, count).ToArray();
                reader.AdvanceTo(result.Buffer.GetPosition(count));
                return bytes;
            }

            Assert.False(result.IsCompleted, $"The connection ended after {result.Buffer.Length} of {count} bytes");
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    /// <summary>Reads until the other side completes; returns what came.</summary>
    public static async Task<byte[]> ReadToEndAsync(PipeReader reader)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            var result = await reader.ReadAsync(timeout.Token);
            if (result.IsCompleted)
            {
                var bytes = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return bytes;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    /// <summary>What is readable right now, without waiting.</summary>
    public static byte[] Available(PipeReader reader)
    {
        if (!reader.TryRead(out var result))
        {
            return [];
        }

        var bytes = result.Buffer.ToArray();
        reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        return bytes;
    }
}
