using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using DaskGateway.Proxy.Routing;
using DaskGateway.Proxy.Sni;
using DaskGateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace DaskGateway.Proxy;

/// <summary>The connection router driven in memory: the client and the schedulers are ends of pipes.</summary>
public sealed class SniRouterTests
{
    private const string Cluster = "6eea4805914e4475a6c7092c0f54f163";
    private const string Target = "tls://10.0.0.5:34567";
    private static readonly byte[] Hello = ClientHelloBuilder.Build("daskgateway-" + Cluster);

    private readonly RouteTable _routes = new();
    private readonly InMemorySchedulers _schedulers = new();

    public SniRouterTests()
    {
        _routes.Put(ProxyRoute.Sni(Cluster, Target));
    }

    private SniRouter Router(double handshakeSeconds = 10) =>
        new(_routes, _schedulers, new ProxyOptions { HandshakeTimeout = TimeSpan.FromSeconds(handshakeSeconds) }, TimeProvider.System, NullLogger<SniRouter>.Instance);

    private static (IDuplexPipe Client, Task<ConnectionOutcome> Outcome) Connect(SniRouter router, bool schedulersOnly = false, CancellationTokenSource? closing = null)
    {
        var (client, server) = DuplexPipePair.Create();
        return (client, router.RouteAsync(server, clientSocket: null, "test", schedulersOnly, closing?.Token ?? CancellationToken.None));
    }

    private static Task<ConnectionOutcome> Within(Task<ConnectionOutcome> outcome) => outcome.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

    [Fact]
    public async Task KnownCluster_ReplaysTheHelloAndPipesBothWays_ClientHalfClosesFirst()
    {
        var (client, outcome) = Connect(Router());
        await Pipes.WriteAsync(client.Output, [.. Hello, .. "ping"u8]);

        var (target, scheduler) = await _schedulers.NextAsync();
        Assert.Equal(Target, target);
        var received = await Pipes.ReadAsync(scheduler.Input, Hello.Length + 4);
        Assert.Equal([.. Hello, .. "ping"u8.ToArray()], received);
        await Pipes.WriteAsync(scheduler.Output, "pong"u8.ToArray());
        Assert.Equal("pong"u8.ToArray(), await Pipes.ReadAsync(client.Input, 4));

        // The client is done sending: the scheduler sees the end, and can still answer.
        await client.Output.CompleteAsync();
        Assert.Empty(await Pipes.ReadToEndAsync(scheduler.Input));
        await Pipes.WriteAsync(scheduler.Output, "late"u8.ToArray());
        Assert.Equal("late"u8.ToArray(), await Pipes.ReadAsync(client.Input, 4));
        Assert.False(outcome.IsCompleted);

        await scheduler.Output.CompleteAsync();
        Assert.Empty(await Pipes.ReadToEndAsync(client.Input));
        Assert.Equal(ConnectionOutcome.Proxied, await Within(outcome));
    }

    [Fact]
    public async Task KnownCluster_SchedulerHalfClosesFirst_ClientKeepsSending()
    {
        var (client, outcome) = Connect(Router());
        await Pipes.WriteAsync(client.Output, Hello);
        var (_, scheduler) = await _schedulers.NextAsync();
        await Pipes.ReadAsync(scheduler.Input, Hello.Length);

        await Pipes.WriteAsync(scheduler.Output, "bye"u8.ToArray());
        await scheduler.Output.CompleteAsync();
        Assert.Equal("bye"u8.ToArray(), await Pipes.ReadToEndAsync(client.Input));

        await Pipes.WriteAsync(client.Output, "still here"u8.ToArray());
        Assert.Equal("still here"u8.ToArray(), await Pipes.ReadAsync(scheduler.Input, 10));
        Assert.False(outcome.IsCompleted);
        await client.Output.CompleteAsync();
        Assert.Empty(await Pipes.ReadToEndAsync(scheduler.Input));
        Assert.Equal(ConnectionOutcome.Proxied, await Within(outcome));
    }

    [Fact]
    public async Task HelloSplitAtEveryByte_IsRoutedWithEveryByteIntact()
    {
        var router = Router();
        for (var split = 1; split < Hello.Length; split++)
        {
            var (client, outcome) = Connect(router);
            await Pipes.WriteAsync(client.Output, Hello[..split]);
            await Task.Yield();
            await Pipes.WriteAsync(client.Output, Hello[split..]);

            await AssertHelloReachedTheSchedulerAsync(client, outcome);
        }
    }

    [Fact]
    public async Task HelloOneByteAtATime_IsRouted()
    {
        var (client, outcome) = Connect(Router());
        foreach (var b in Hello)
        {
            await Pipes.WriteAsync(client.Output, [b]);
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        await AssertHelloReachedTheSchedulerAsync(client, outcome);
    }

    /// <summary>The scheduler got the whole hello; both sides then close and the connection ends piped.</summary>
    private async Task AssertHelloReachedTheSchedulerAsync(IDuplexPipe client, Task<ConnectionOutcome> outcome)
    {
        var (_, scheduler) = await _schedulers.NextAsync();
        Assert.Equal(Hello, await Pipes.ReadAsync(scheduler.Input, Hello.Length));
        await client.Output.CompleteAsync();
        await scheduler.Output.CompleteAsync();
        Assert.Equal(ConnectionOutcome.Proxied, await Within(outcome));
    }

    [Fact]
    public async Task UnknownCluster_IsClosedWithNothingWritten()
    {
        var (client, outcome) = Connect(Router());
        await Pipes.WriteAsync(client.Output, ClientHelloBuilder.Build("daskgateway-nosuchcluster"));

        Assert.Equal(ConnectionOutcome.UnknownCluster, await Within(outcome));
        Assert.Empty(Pipes.Available(client.Input));
        Assert.Equal(0, _schedulers.Dials);
    }

    [Fact]
    public async Task UnknownClusterScan_CannotFloodTheLog_EachAtDebugAndAtMostOneInfoLinePerMinute()
    {
        var time = new FakeTimeProvider();
        var logger = new ChannelLogger<SniRouter>();
        using var router = new SniRouter(_routes, _schedulers, new ProxyOptions(), time, logger);

        async Task ScanAsync(int connections)
        {
            for (var i = 0; i < connections; i++)
            {
                var (client, outcome) = Connect(router);
                await Pipes.WriteAsync(client.Output, ClientHelloBuilder.Build($"daskgateway-guess{i}"));
                Assert.Equal(ConnectionOutcome.UnknownCluster, await Within(outcome));
            }
        }

        List<LogEntry> Logged()
        {
            var entries = new List<LogEntry>();
            while (logger.Entries.TryRead(out var entry))
            {
                entries.Add(entry);
            }

            return entries;
        }

        // The first connection is counted at once; the rest of the minute's scan waits for the minute to end.
        await ScanAsync(200);
        var first = Logged();
        Assert.Equal(200, first.Count(e => e.Level == LogLevel.Debug));
        Assert.Equal(1, Assert.Single(first, e => e.Level == LogLevel.Information).Values["Count"]);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(Logged());
        time.Advance(TimeSpan.FromSeconds(1));
        var summary = Assert.Single(Logged());
        Assert.Equal(LogLevel.Information, summary.Level);
        Assert.Equal(199, summary.Values["Count"]);
        Assert.Contains("199 connection(s) for unknown clusters in the last 60 s", summary.Message, StringComparison.Ordinal);

        // Quiet for a while, then another scan: again one line at once and one at the end of its minute.
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty(Logged());
        await ScanAsync(50);
        Assert.Single(Logged(), e => e.Level == LogLevel.Information);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(49, Assert.Single(Logged()).Values["Count"]);
    }

    [Fact]
    public async Task StoppedCluster_IsClosedLikeAnUnknownOne()
    {
        _routes.Delete(RouteKind.Sni, Cluster);
        var (client, outcome) = Connect(Router());
        await Pipes.WriteAsync(client.Output, Hello);

        Assert.Equal(ConnectionOutcome.UnknownCluster, await Within(outcome));
        Assert.Equal(0, _schedulers.Dials);
    }

    public static TheoryData<string> NotForSchedulers => ["http", "tls-no-sni", "tls-other-sni", "tls-prefix-only-case"];

    private static byte[] NotForScheduler(string kind) => kind switch
    {
        "http" => "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(),
        "tls-no-sni" => ClientHelloBuilder.Build(null),
        "tls-other-sni" => ClientHelloBuilder.Build("gateway.example.org"),
        "tls-prefix-only-case" => ClientHelloBuilder.Build("DaskGateway-" + Cluster),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(NotForSchedulers))]
    public async Task NotForAScheduler_GoesToHttpWithEveryByteUnread(string kind)
    {
        var bytes = NotForScheduler(kind);
        var (client, server) = DuplexPipePair.Create();
        await Pipes.WriteAsync(client.Output, bytes);

        var outcome = await Within(Router().RouteAsync(server, null, "test", schedulersOnly: false, CancellationToken.None));

        Assert.Equal(ConnectionOutcome.Http, outcome);

        // The next reader (Kestrel's HTTP or TLS code) gets everything at once, without waiting for more.
        Assert.True(server.Input.TryRead(out var result));
        Assert.Equal(bytes, result.Buffer.ToArray());
    }

    [Theory]
    [MemberData(nameof(NotForSchedulers))]
    public async Task NotForAScheduler_OnTheSchedulerListener_IsClosed(string kind)
    {
        var (client, outcome) = Connect(Router(), schedulersOnly: true);
        await Pipes.WriteAsync(client.Output, NotForScheduler(kind));

        Assert.Equal(ConnectionOutcome.NotForScheduler, await Within(outcome));
        Assert.Empty(Pipes.Available(client.Input));
    }

    [Fact]
    public async Task SilentClient_IsClosedAfterTheHandshakeTimeout()
    {
        var time = new FakeTimeProvider();
        using var router = new SniRouter(_routes, _schedulers, new ProxyOptions { HandshakeTimeout = TimeSpan.FromSeconds(30) }, time, NullLogger<SniRouter>.Instance);
        var (_, outcome) = Connect(router);

        // Longer than the test waits on the real clock: only the router's clock can end the handshake.
        time.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromMilliseconds(1));
        Assert.False(outcome.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(ConnectionOutcome.HandshakeTimeout, await Within(outcome));
    }

    [Fact]
    public async Task SlowlyTrickledHello_StillTimesOut()
    {
        // The timeout bounds the whole hello, not the gap between bytes.
        var (client, outcome) = Connect(Router(handshakeSeconds: 0.5));
        for (var i = 0; i < 20 && !outcome.IsCompleted; i++)
        {
            await client.Output.WriteAsync(Hello.AsMemory(i, 1), TestContext.Current.CancellationToken);
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Equal(ConnectionOutcome.HandshakeTimeout, await Within(outcome));
    }

    [Fact]
    public async Task TruncatedHelloThenClose_IsClosed()
    {
        var (client, outcome) = Connect(Router());
        await Pipes.WriteAsync(client.Output, Hello[..40]);
        await client.Output.CompleteAsync();

        Assert.Equal(ConnectionOutcome.ClientClosed, await Within(outcome));
        Assert.Equal(0, _schedulers.Dials);
    }

    [Fact]
    public async Task ImmediateClose_IsClosed()
    {
        var (client, outcome) = Connect(Router());
        await client.Output.CompleteAsync();

        Assert.Equal(ConnectionOutcome.ClientClosed, await Within(outcome));
    }

    [Fact]
    public async Task UnreachableScheduler_IsClosed()
    {
        _schedulers.Unreachable = true;
        var (client, outcome) = Connect(Router());
        await Pipes.WriteAsync(client.Output, Hello);

        Assert.Equal(ConnectionOutcome.SchedulerUnreachable, await Within(outcome));
        Assert.Empty(Pipes.Available(client.Input));
    }

    [Fact]
    public async Task SchedulerFailing_AbortsBothDirections()
    {
        var (client, outcome) = Connect(Router());
        await Pipes.WriteAsync(client.Output, Hello);
        var (_, scheduler) = await _schedulers.NextAsync();

        // The scheduler's side breaks (as a reset connection does) while the client still sends.
        await scheduler.Input.CompleteAsync(new IOException("reset"));
        await Pipes.WriteAsync(client.Output, new byte[100_000]);

        Assert.Equal(ConnectionOutcome.ProxyAborted, await Within(outcome));
        Assert.Empty(await Pipes.ReadToEndAsync(client.Input));
    }

    [Fact]
    public async Task ServerShutdown_ClosesPipedConnections()
    {
        using var closing = new CancellationTokenSource();
        var (client, outcome) = Connect(Router(), closing: closing);
        await Pipes.WriteAsync(client.Output, Hello);
        var (_, scheduler) = await _schedulers.NextAsync();
        await Pipes.ReadAsync(scheduler.Input, Hello.Length);

        await closing.CancelAsync();

        Assert.Equal(ConnectionOutcome.ProxyAborted, await Within(outcome));
        Assert.Empty(await Pipes.ReadToEndAsync(scheduler.Input));
    }

    [Fact]
    public async Task RealTlsHandshake_PassesThroughUntouched()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=scheduler", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        _schedulers.Behavior = async pipe =>
        {
            await using var tls = new SslStream(DuplexPipePair.AsStream(pipe));
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
            var buffer = new byte[5];
            await tls.ReadExactlyAsync(buffer);
            await tls.WriteAsync(Encoding.ASCII.GetBytes("echo " + Encoding.ASCII.GetString(buffer)));
            await tls.ShutdownAsync();
        };

        var (client, outcome) = Connect(Router());
        await using (var tls = new SslStream(DuplexPipePair.AsStream(client), false, (_, remote, _, _) => remote?.GetCertHashString() == certificate.GetCertHashString()))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "daskgateway-" + Cluster }, timeout.Token);
            await tls.WriteAsync("hello"u8.ToArray(), timeout.Token);
            var answer = new byte[10];
            await tls.ReadExactlyAsync(answer, timeout.Token);
            Assert.Equal("echo hello", Encoding.ASCII.GetString(answer));
        }

        await Task.WhenAll(_schedulers.Running).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Contains(await Within(outcome), new[] { ConnectionOutcome.Proxied, ConnectionOutcome.ProxyAborted });
    }
}
