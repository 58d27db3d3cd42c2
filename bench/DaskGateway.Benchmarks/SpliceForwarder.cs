using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace DaskGateway.Benchmarks;

/// <summary>
/// A baseline for the proxy: bytes moved between the two sockets by the kernel with splice(2)
/// through a pipe, never copied into the process (what Go's io.Copy does between TCP sockets),
/// one blocking thread per direction. It tells how far a zero-copy path could take the proxy.
/// </summary>
internal static class SpliceForwarder
{
    private const uint SpliceMove = 1;
    private const uint SpliceMore = 4;
    private const int PipeCloseOnExec = 0x80000;
    private const int Chunk = 1 << 16;
    private const int WouldBlock = 11;
    private const short PollIn = 1;
    private const short PollOut = 4;

    public static async Task ForwardAsync(Socket client, IPEndPoint target)
    {
        using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await upstream.ConnectAsync(target);
        client.NoDelay = true;
        client.Blocking = true;
        upstream.Blocking = true;
        var toUpstream = Task.Factory.StartNew(() => Pump(client, upstream), TaskCreationOptions.LongRunning);
        var toClient = Task.Factory.StartNew(() => Pump(upstream, client), TaskCreationOptions.LongRunning);
        try
        {
            await Task.WhenAll(toUpstream, toClient);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine("splice forwarder: " + e.Message);
            throw;
        }
    }

    private static void Pump(Socket from, Socket to)
    {
        var pipe = new int[2];
        if (CreatePipe(pipe, PipeCloseOnExec) != 0)
        {
            throw new IOException("pipe2 failed: " + Marshal.GetLastPInvokeError());
        }

        try
        {
            var source = (int)from.Handle;
            var destination = (int)to.Handle;
            while (true)
            {
                var received = Splice(source, IntPtr.Zero, pipe[1], IntPtr.Zero, Chunk, SpliceMove | SpliceMore);
                if (received < 0 && Marshal.GetLastPInvokeError() == WouldBlock)
                {
                    // .NET keeps its sockets non-blocking: wait until there is something to move.
                    Wait(source, PollIn);
                    continue;
                }

                if (received < 0)
                {
                    throw new IOException("splice from the socket failed: errno " + Marshal.GetLastPInvokeError());
                }

                if (received == 0)
                {
                    break;
                }

                while (received > 0)
                {
                    var sent = Splice(pipe[0], IntPtr.Zero, destination, IntPtr.Zero, (nuint)received, SpliceMove);
                    if (sent < 0 && Marshal.GetLastPInvokeError() == WouldBlock)
                    {
                        Wait(destination, PollOut);
                        continue;
                    }

                    if (sent <= 0)
                    {
                        throw new IOException("splice to the socket failed: errno " + Marshal.GetLastPInvokeError());
                    }

                    received -= sent;
                }
            }

            to.Shutdown(SocketShutdown.Send);
        }
        finally
        {
            _ = Close(pipe[0]);
            _ = Close(pipe[1]);
        }
    }

    private static void Wait(int descriptor, short events)
    {
        var entry = new[] { new PollEntry { Descriptor = descriptor, Events = events } };
        _ = Poll(entry, 1, -1);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollEntry
    {
        public int Descriptor;
        public short Events;
        public short ReturnedEvents;
    }

#pragma warning disable SYSLIB1054 // Blittable signatures; the bench does not compile unsafe code.
    [DllImport("libc", EntryPoint = "splice", SetLastError = true)]
    private static extern nint Splice(int input, IntPtr inputOffset, int output, IntPtr outputOffset, nuint length, uint flags);

    [DllImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static extern int CreatePipe(int[] descriptors, int flags);

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static extern int Poll([In, Out] PollEntry[] entries, nuint count, int timeout);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int descriptor);
#pragma warning restore SYSLIB1054
}
