using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace DaskGateway.Tests.Infrastructure;

/// <summary>
/// Both ends of Dask's TLS as the tests need them (protocol.md §2.2, §3.1): a scheduler endpoint
/// with a cluster's certificate that requires the same certificate from clients, and a client that
/// connects through the gateway's public port with SNI <c>daskgateway-&lt;name&gt;</c>, trusting the
/// cluster's certificate as its only CA and not checking the host name, as the Python client does.
/// </summary>
public static class ClusterTls
{
    public static X509Certificate2 Certificate(string certificatePem, string keyPem) => X509Certificate2.CreateFromPem(certificatePem, keyPem);

    /// <summary>A scheduler stand-in: greets each client with <paramref name="greeting"/> and a newline, then echoes until the client half-closes.</summary>
    public static TcpTestServer StartScheduler(X509Certificate2 certificate, string greeting) => TcpTestServer.Start(async socket =>
    {
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false, (_, remote, _, _) => IsTrusted(remote, certificate));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate, ClientCertificateRequired = true }, timeout.Token);
        await tls.WriteAsync(Encoding.ASCII.GetBytes(greeting + "\n"));
        var buffer = new byte[16 * 1024];
        int count;
        while ((count = await tls.ReadAsync(buffer)) > 0)
        {
            await tls.WriteAsync(buffer.AsMemory(0, count));
        }

        await tls.ShutdownAsync();
        socket.Shutdown(SocketShutdown.Send);
    });

    /// <summary>Connects to <paramref name="proxy"/> and does the TLS handshake with SNI <c>daskgateway-&lt;clusterName&gt;</c>.</summary>
    public static async Task<SslStream> ConnectAsync(EndPoint proxy, string clusterName, X509Certificate2 certificate, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SslStream? tls = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            await socket.ConnectAsync(proxy, timeout.Token);
            tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false, (_, remote, _, _) => IsTrusted(remote, certificate));
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions { TargetHost = "daskgateway-" + clusterName, ClientCertificates = [certificate] },
                timeout.Token);
            return tls;
        }
        catch
        {
            if (tls is not null)
            {
                await tls.DisposeAsync();
            }

            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads one line (up to a newline, without it), with a time limit.</summary>
    public static async Task<string> ReadLineAsync(Stream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = new StringBuilder();
        var one = new byte[1];
        while (await stream.ReadAsync(one, timeout.Token) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString();
    }

    /// <summary>Python's <c>cafile=cert</c> with <c>check_hostname=False</c>: the chain must end at the cluster's certificate.</summary>
    private static bool IsTrusted(X509Certificate? remote, X509Certificate2 authority)
    {
        if (remote is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var certificate = new X509Certificate2(remote);
        return chain.Build(certificate);
    }
}
