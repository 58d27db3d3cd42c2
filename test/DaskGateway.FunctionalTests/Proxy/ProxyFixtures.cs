using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests.Proxy;

/// <summary>What the proxy tests share: a gateway whose clusters are fake schedulers serving TLS, and raw connections.</summary>
internal static class ProxyFixtures
{
    public static readonly (string, object?)[] InProcess = [("DaskGateway.BackendClass", "InProcessBackend")];

    public static Task<TestGateway> StartAsync(params (string, object?)[] settings) => TestGateway.StartAsync([.. InProcess, .. settings]);

    /// <summary>Creates a cluster and waits until it runs: its name, its dict, and its credentials as the client would load them.</summary>
    public static async Task<(string Name, System.Text.Json.Nodes.JsonNode Dict, X509Certificate2 Certificate)> RunningClusterAsync(GatewayClient client)
    {
        var name = await client.CreateClusterAsync();
        var dict = await client.WaitForStatusAsync(name, "RUNNING");
        return (name, dict, ClusterTls.Certificate(dict["tls_cert"]!.GetValue<string>(), dict["tls_key"]!.GetValue<string>()));
    }

    /// <summary>A self-signed certificate for 127.0.0.1, written to <paramref name="directory"/>, and the settings that make the public port serve HTTPS with it.</summary>
    public static async Task<(X509Certificate2 Certificate, (string, object?)[] Settings)> GatewayCertificateAsync(DirectoryInfo directory)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=gateway.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certFile = Path.Combine(directory.FullName, "gateway.crt");
        var keyFile = Path.Combine(directory.FullName, "gateway.key");
        await File.WriteAllTextAsync(certFile, certificate.ExportCertificatePem(), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem(), TestContext.Current.CancellationToken);
        return (certificate, [("Proxy.TlsCert", certFile), ("Proxy.TlsKey", keyFile)]);
    }

    /// <summary>A handler that trusts exactly <paramref name="certificate"/>.</summary>
    public static SocketsHttpHandler Pinned(X509Certificate2 certificate) => new()
    {
        SslOptions = { RemoteCertificateValidationCallback = (_, remote, _, _) => remote?.GetCertHashString() == certificate.GetCertHashString() },
    };

    public static async Task<Socket> ConnectAsync(EndPoint endPoint)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(endPoint, timeout.Token);
        return socket;
    }

    /// <summary>Everything the peer sends until it closes (or the time limit).</summary>
    public static async Task<byte[]> ReceiveToEndAsync(Socket socket, int seconds = 30)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var received = new List<byte>();
        var buffer = new byte[4096];
        int count;
        while ((count = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            received.AddRange(buffer.AsSpan(0, count));
        }

        return [.. received];
    }

    public static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[count];
        for (var offset = 0; offset < count;)
        {
            var received = await socket.ReceiveAsync(buffer.AsMemory(offset), SocketFlags.None, timeout.Token);
            Assert.True(received > 0, $"The connection ended after {offset} of {count} bytes");
            offset += received;
        }

        return buffer;
    }
}
