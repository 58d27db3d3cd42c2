using System.Buffers;
using System.Net.Security;
using System.Security.Authentication;
using DaskGateway.Proxy.Tls;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Proxy;

/// <summary>The first record a real TLS client (.NET's SslStream on OpenSSL) sends, captured in memory.</summary>
internal static class RealClientHello
{
    public static async Task<byte[]> CaptureAsync(string targetHost, SslProtocols protocols = SslProtocols.None)
    {
        var (client, server) = DuplexPipePair.Create();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var tls = new SslStream(DuplexPipePair.AsStream(client));
        var handshake = tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = targetHost, EnabledSslProtocols = protocols }, cancel.Token);
        try
        {
            while (true)
            {
                var result = await server.Input.ReadAsync(cancel.Token);
                if (ClientHelloParser.Parse(result.Buffer, out _) != ClientHelloStatus.NeedMoreData || result.IsCompleted)
                {
                    var length = ClientHelloParser.RecordHeaderLength + (result.Buffer.Slice(3, 1).FirstSpan[0] << 8 | result.Buffer.Slice(4, 1).FirstSpan[0]);
                    return result.Buffer.Slice(0, length).ToArray();
                }

                server.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }
        }
        finally
        {
            await server.Output.CompleteAsync();
            await cancel.CancelAsync();
            try
            {
                await handshake;
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or AuthenticationException)
            {
                // The handshake never had a server.
            }
        }
    }
}
