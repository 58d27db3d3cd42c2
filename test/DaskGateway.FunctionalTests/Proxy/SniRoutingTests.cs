using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using DaskGateway.Proxy.Routing;
using DaskGateway.Tests.Infrastructure;
using static DaskGateway.Tests.Proxy.ProxyFixtures;

namespace DaskGateway.Tests.Proxy;

/// <summary>
/// Scheduler TLS through the gateway's public port over real loopback sockets (protocol.md §2.2–2.3):
/// SNI <c>daskgateway-&lt;name&gt;</c> reaches that cluster's scheduler with TLS end to end; everything
/// else on the port is HTTP(S).
/// </summary>
public sealed class SniRoutingTests
{
    [Fact]
    public async Task TwoClusters_EachReachedByItsNameAndCredentials_TrafficKeptApart()
    {
        await using var gateway = await StartAsync();
        using var alice = gateway.Client("alice");
        var first = await RunningClusterAsync(alice);
        var second = await RunningClusterAsync(alice);

        foreach (var (name, _, certificate) in new[] { first, second })
        {
            await using var tls = await ClusterTls.ConnectAsync(gateway.SchedulerEndPoint, name, certificate, TestContext.Current.CancellationToken);
            Assert.Equal("scheduler " + name, await ClusterTls.ReadLineAsync(tls));
            await tls.WriteAsync(Encoding.ASCII.GetBytes($"for {name}\n"), TestContext.Current.CancellationToken);
            Assert.Equal("for " + name, await ClusterTls.ReadLineAsync(tls));
        }

        // The second cluster's name with the first cluster's credentials: its scheduler is not trusted.
        await Assert.ThrowsAnyAsync<AuthenticationException>(() => ClusterTls.ConnectAsync(gateway.SchedulerEndPoint, second.Name, first.Certificate, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task UnknownClusterName_IsClosedWithoutAByte()
    {
        await using var gateway = await StartAsync();
        using var socket = await ConnectAsync(gateway.SchedulerEndPoint);

        await socket.SendAsync(ClientHelloBuilder.Build("daskgateway-0123456789abcdef0123456789abcdef"), TestContext.Current.CancellationToken);

        Assert.Empty(await ReceiveToEndAsync(socket));
    }

    [Fact]
    public async Task StoppedCluster_IsNoLongerRouted()
    {
        await using var gateway = await StartAsync();
        using var alice = gateway.Client("alice");
        var (name, _, certificate) = await RunningClusterAsync(alice);
        Assert.True(gateway.Routes.TryGetSni(name, out _));

        using (await alice.DeleteAsync($"api/v1/clusters/{name}"))
        {
        }

        await alice.WaitForStatusAsync(name, "STOPPED");
        Assert.False(gateway.Routes.TryGetSni(name, out _));
        using var socket = await ConnectAsync(gateway.SchedulerEndPoint);
        await socket.SendAsync(ClientHelloBuilder.Build("daskgateway-" + name), TestContext.Current.CancellationToken);
        Assert.Empty(await ReceiveToEndAsync(socket));
        await Assert.ThrowsAnyAsync<Exception>(() => ClusterTls.ConnectAsync(gateway.SchedulerEndPoint, name, certificate, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task SilentClient_IsClosedAfterTheHandshakeTimeout()
    {
        // Longer than the test waits on the real clock: only the gateway's clock can end the handshake.
        var handshake = TimeSpan.FromSeconds(37);
        var time = new TimerWatchingTimeProvider(DateTimeOffset.UtcNow, handshake);
        await using var gateway = await TestGateway.StartAsync(time, [.. InProcess, ("Proxy.HandshakeTimeout", handshake.TotalSeconds)]);
        using var socket = await ConnectAsync(gateway.SchedulerEndPoint);
        await time.Armed.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        time.Advance(handshake - TimeSpan.FromMilliseconds(1));
        Assert.False(socket.Poll(0, SelectMode.SelectRead), "the connection ended before its handshake deadline");
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Empty(await ReceiveToEndAsync(socket, seconds: 10));
    }

    /// <summary>A fake clock that says when a timer of <paramref name="watched"/> is armed: the router's handshake deadline.</summary>
    private sealed class TimerWatchingTimeProvider(DateTimeOffset start, TimeSpan watched) : Microsoft.Extensions.Time.Testing.FakeTimeProvider(start)
    {
        private readonly TaskCompletionSource _armed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Armed => _armed.Task;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            if (dueTime == watched)
            {
                _armed.TrySetResult();
            }

            return timer;
        }
    }

    [Fact]
    public async Task ClientHalfClosesFirst_SchedulerSeesTheEndAndStillAnswers()
    {
        var received = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var scheduler = TcpTestServer.Start(async socket =>
        {
            var bytes = await ReceiveToEndAsync(socket);
            received.SetResult(bytes.Length);
            await socket.SendAsync(Encoding.ASCII.GetBytes($"got {bytes.Length} bytes"));
            socket.Shutdown(SocketShutdown.Send);
        });
        await using var gateway = await StartAsync();
        gateway.Routes.Put(ProxyRoute.Sni("raw", scheduler.TlsAddress));
        var hello = ClientHelloBuilder.Build("daskgateway-raw");
        using var socket = await ConnectAsync(gateway.SchedulerEndPoint);

        byte[] payload = [.. hello, .. new byte[100_000]];
        await socket.SendAsync(payload, TestContext.Current.CancellationToken);
        socket.Shutdown(SocketShutdown.Send);

        Assert.Equal(hello.Length + 100_000, await received.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Equal($"got {hello.Length + 100_000} bytes", Encoding.ASCII.GetString(await ReceiveToEndAsync(socket)));
    }

    [Fact]
    public async Task SchedulerHalfClosesFirst_ClientSeesTheEndAndStillSends()
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var scheduler = TcpTestServer.Start(async socket =>
        {
            await socket.SendAsync("bye from the scheduler"u8.ToArray());
            socket.Shutdown(SocketShutdown.Send);
            received.SetResult(Encoding.Latin1.GetString(await ReceiveToEndAsync(socket)));
        });
        await using var gateway = await StartAsync();
        gateway.Routes.Put(ProxyRoute.Sni("raw", scheduler.TlsAddress));
        var hello = ClientHelloBuilder.Build("daskgateway-raw");
        using var socket = await ConnectAsync(gateway.SchedulerEndPoint);
        await socket.SendAsync(hello, TestContext.Current.CancellationToken);

        Assert.Equal("bye from the scheduler", Encoding.ASCII.GetString(await ReceiveToEndAsync(socket)));
        await socket.SendAsync("still talking"u8.ToArray(), TestContext.Current.CancellationToken);
        Assert.False(received.Task.IsCompleted);
        socket.Shutdown(SocketShutdown.Send);

        Assert.Equal(Encoding.Latin1.GetString(hello) + "still talking", await received.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task TwoThousandConnections_HeldOpenAtOnce()
    {
        const int Connections = 2000;
        await using var echo = TcpTestServer.StartEcho();
        await using var gateway = await StartAsync();
        gateway.Routes.Put(ProxyRoute.Sni("echo", echo.TlsAddress));
        var hello = ClientHelloBuilder.Build("daskgateway-echo");
        var sockets = new Socket[Connections];
        try
        {
            // Connect in waves (the listen backlog is finite), each connection routed and echoing.
            for (var wave = 0; wave < Connections; wave += 200)
            {
                await Task.WhenAll(Enumerable.Range(wave, 200).Select(async i =>
                {
                    sockets[i] = await ConnectAsync(gateway.SchedulerEndPoint);
                    await sockets[i].SendAsync(hello);
                    Assert.Equal(hello, await ReceiveExactlyAsync(sockets[i], hello.Length));
                }));
            }

            Assert.Equal(Connections, echo.Accepted);

            // All of them at once, still open, still carrying bytes both ways.
            await Task.WhenAll(sockets.Select(async (socket, i) =>
            {
                var message = Encoding.ASCII.GetBytes($"ping {i:D4}");
                await socket.SendAsync(message);
                Assert.Equal(message, await ReceiveExactlyAsync(socket, message.Length));
            })).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket?.Dispose();
            }
        }
    }

    [Fact]
    public async Task HttpAndSchedulersShareThePublicPort()
    {
        await using var gateway = await StartAsync();
        using var alice = gateway.Client("alice");
        var (name, _, certificate) = await RunningClusterAsync(alice);

        Assert.Equal("pass", (await alice.GetJsonAsync("api/health"))["status"]!.GetValue<string>());
        Assert.Equal(gateway.PublicAddress.Port, gateway.SchedulerEndPoint.Port);
        await using var tls = await ClusterTls.ConnectAsync(gateway.SchedulerEndPoint, name, certificate, TestContext.Current.CancellationToken);
        Assert.Equal("scheduler " + name, await ClusterTls.ReadLineAsync(tls));
    }

    [Fact]
    public async Task SeparateTcpAddress_CarriesSchedulersOnly()
    {
        await using var gateway = await StartAsync(("Proxy.TcpAddress", "localhost:0"));
        using var alice = gateway.Client("alice");
        var (name, _, certificate) = await RunningClusterAsync(alice);
        Assert.NotEqual(gateway.PublicAddress.Port, gateway.SchedulerEndPoint.Port);

        await using (var tls = await ClusterTls.ConnectAsync(gateway.SchedulerEndPoint, name, certificate, TestContext.Current.CancellationToken))
        {
            Assert.Equal("scheduler " + name, await ClusterTls.ReadLineAsync(tls));
        }

        // Plain HTTP on the scheduler port gets an empty reply, as upstream's proxy gives.
        using var socket = await ConnectAsync(gateway.SchedulerEndPoint);
        await socket.SendAsync("GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), TestContext.Current.CancellationToken);
        Assert.Empty(await ReceiveToEndAsync(socket));
    }

    [Fact]
    public async Task Https_OnThePublicPort_WithTheGatewayCertificate_SchedulersStillBySni()
    {
        var directory = Directory.CreateTempSubdirectory("dask-gateway-https-");
        try
        {
            var (certificate, settings) = await GatewayCertificateAsync(directory);
            using var _ = certificate;
            await using var gateway = await StartAsync(settings);
            Assert.Equal("https", gateway.PublicAddress.Scheme);
            using var https = new HttpClient(Pinned(certificate));
            Assert.Equal("{\"status\":\"pass\"}", await https.GetStringAsync(new Uri(gateway.PublicAddress, "api/health"), TestContext.Current.CancellationToken));

            // The scheduler route shares the HTTPS port: SNI decides.
            using var alice = new GatewayClient(gateway.ApiBase, () => "Basic YWxpY2U6", Pinned(certificate));
            var (name, _, clusterCertificate) = await RunningClusterAsync(alice);
            await using var tls = await ClusterTls.ConnectAsync(gateway.SchedulerEndPoint, name, clusterCertificate, TestContext.Current.CancellationToken);
            Assert.Equal("scheduler " + name, await ClusterTls.ReadLineAsync(tls));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
