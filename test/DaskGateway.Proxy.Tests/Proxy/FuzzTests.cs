using System.Buffers;
using System.IO.Pipelines;
using System.Security.Authentication;
using DaskGateway.Proxy.Routing;
using DaskGateway.Proxy.Sni;
using DaskGateway.Proxy.Tls;
using DaskGateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaskGateway.Proxy;

/// <summary>
/// Random and mutated ClientHellos, in memory, through the parser and through the connection
/// router: nothing throws, every connection ends with a sensible outcome, what goes to HTTP or to a
/// scheduler arrives byte for byte, and memory does not grow with the number of connections.
/// </summary>
public sealed class FuzzTests
{
    private const int Inputs = 100_000;
    private const int Lanes = 16;
    private const string Cluster = "6eea4805914e4475a6c7092c0f54f163";

    [Fact]
    public async Task HundredThousandRandomAndMutatedHellos_NeverBreakTheParserOrTheRouter()
    {
        var seeds = await SeedsAsync();
        var routes = new RouteTable();
        routes.Put(ProxyRoute.Sni(Cluster, "tls://10.0.0.5:1"));
        var outcomes = new int[Enum.GetValues<ConnectionOutcome>().Length];
        var statuses = new int[Enum.GetValues<ClientHelloStatus>().Length];

        // Warm up, then measure what the run leaves behind.
        await RunLaneAsync(0, 200, seeds, routes, new int[outcomes.Length], new int[statuses.Length]);
        var before = GC.GetTotalMemory(forceFullCollection: true);

        await Task.WhenAll(Enumerable.Range(1, Lanes).Select(lane => Task.Run(() => RunLaneAsync(lane, Inputs / Lanes, seeds, routes, outcomes, statuses))))
            .WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);

        var after = GC.GetTotalMemory(forceFullCollection: true);
        TestContext.Current.TestOutputHelper?.WriteLine(
            string.Join(", ", Enum.GetValues<ConnectionOutcome>().Select(o => $"{o} {outcomes[(int)o]}"))
            + "; " + string.Join(", ", Enum.GetValues<ClientHelloStatus>().Select(s => $"{s} {statuses[(int)s]}"))
            + $"; heap {(after - before) / 1024} KiB");
        Assert.True(after - before < 16 * 1024 * 1024, $"memory grew by {(after - before) / 1024} KiB over {Inputs} connections");
        Assert.Equal(Inputs, outcomes.Sum());
        Assert.Equal(0, outcomes[(int)ConnectionOutcome.Failed]);

        // The mix reached every path worth reaching.
        foreach (var outcome in new[] { ConnectionOutcome.Http, ConnectionOutcome.Proxied, ConnectionOutcome.UnknownCluster, ConnectionOutcome.NotForScheduler, ConnectionOutcome.ClientClosed })
        {
            Assert.True(outcomes[(int)outcome] > 100, $"{outcome}: {outcomes[(int)outcome]}");
        }

        foreach (var status in Enum.GetValues<ClientHelloStatus>())
        {
            Assert.True(statuses[(int)status] > 100, $"{status}: {statuses[(int)status]}");
        }
    }

    private static async Task RunLaneAsync(int lane, int count, IReadOnlyList<byte[]> seeds, RouteTable routes, int[] outcomes, int[] statuses)
    {
        var random = new Random(lane * 7919);
        var scheduler = new CountingScheduler();
        using var router = new SniRouter(routes, scheduler, new ProxyOptions { HandshakeTimeout = TimeSpan.FromSeconds(10) }, TimeProvider.System, NullLogger<SniRouter>.Instance);
        for (var i = 0; i < count; i++)
        {
            var input = random.Next(5) == 0 ? RandomBytes(random) : Mutate(random, seeds[random.Next(seeds.Count)]);
            var status = CheckParser(random, input);
            Interlocked.Increment(ref statuses[(int)status]);
            var outcome = await CheckRouterAsync(router, scheduler, input, schedulersOnly: random.Next(4) == 0);
            Interlocked.Increment(ref outcomes[(int)outcome]);
        }
    }

    /// <summary>The parser gives the same answer however the bytes are split, and never throws.</summary>
    private static ClientHelloStatus CheckParser(Random random, byte[] input)
    {
        var whole = ClientHelloParser.Parse(new ReadOnlySequence<byte>(input), out var name);
        if (input.Length > 1)
        {
            var split = random.Next(1, input.Length);
            var pieces = ClientHelloParser.Parse(Segments.Of(input[..split], input[split..]), out var splitName);
            Assert.Equal(whole, pieces);
            Assert.Equal(name, splitName);
        }

        Assert.Equal(whole == ClientHelloStatus.ServerName, name is not null);
        Assert.True(name is null || name.All(c => c is > ' ' and < '\u007f'), name);
        return whole;
    }

    private static async Task<ConnectionOutcome> CheckRouterAsync(SniRouter router, CountingScheduler scheduler, byte[] input, bool schedulersOnly)
    {
        var (client, server) = DuplexPipePair.Create();
        await client.Output.WriteAsync(input);
        await client.Output.CompleteAsync();
        scheduler.Received = null;

        var outcome = await router.RouteAsync(server, null, "fuzz", schedulersOnly, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        switch (outcome)
        {
            case ConnectionOutcome.Http:
                Assert.False(schedulersOnly);
                Assert.True(server.Input.TryRead(out var result));
                Assert.True(result.Buffer.ToArray().AsSpan().SequenceEqual(input));
                server.Input.AdvanceTo(result.Buffer.End);
                break;
            case ConnectionOutcome.Proxied:
                Assert.Equal(input.Length, await scheduler.Received!.WaitAsync(TimeSpan.FromSeconds(10)));
                break;
            case ConnectionOutcome.HandshakeTimeout or ConnectionOutcome.Failed or ConnectionOutcome.ProxyAborted or ConnectionOutcome.SchedulerUnreachable:
                Assert.Fail($"{outcome} for {Convert.ToHexString(input)}");
                break;
        }

        await server.Input.CompleteAsync();
        await server.Output.CompleteAsync();
        return outcome;
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 400)];
        random.NextBytes(bytes);
        if (bytes.Length > 0 && random.Next(2) == 0)
        {
            bytes[0] = 0x16;
        }

        if (bytes.Length > 1 && random.Next(2) == 0)
        {
            bytes[1] = 3;
        }

        if (bytes.Length > 5 && random.Next(2) == 0)
        {
            bytes[3] = (byte)((bytes.Length - 5) >> 8);
            bytes[4] = (byte)(bytes.Length - 5);
            bytes[5] = 1;
        }

        return bytes;
    }

    private static byte[] Mutate(Random random, byte[] seed)
    {
        var bytes = new List<byte>(seed);
        var mutations = random.Next(1, 5);
        for (var m = 0; m < mutations && bytes.Count > 0; m++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(8))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes[at] = random.Next(2) == 0 ? (byte)0 : (byte)0xFF;
                    break;
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 4:
                    bytes.InsertRange(at, Enumerable.Range(0, random.Next(1, 20)).Select(_ => (byte)random.Next(256)));
                    break;
                case 5:
                    bytes.RemoveRange(at, Math.Min(random.Next(1, 20), bytes.Count - at));
                    break;
                case 6:
                    bytes.InsertRange(at, bytes.GetRange(at, Math.Min(random.Next(1, 40), bytes.Count - at)));
                    break;
                default:
                    // A length field: the record's, the handshake's, or any pair of bytes.
                    var field = random.Next(3) switch { 0 => 3, 1 => 7, _ => at };
                    if (field + 1 < bytes.Count)
                    {
                        var value = random.Next(4) switch { 0 => 0, 1 => 0xFFFF, 2 => random.Next(0, 64), _ => random.Next(65536) };
                        bytes[field] = (byte)(value >> 8);
                        bytes[field + 1] = (byte)value;
                    }

                    break;
            }
        }

        return [.. bytes];
    }

    private static async Task<IReadOnlyList<byte[]>> SeedsAsync() =>
    [
        ClientHelloBuilder.Build("daskgateway-" + Cluster),
        ClientHelloBuilder.Build("daskgateway-" + Cluster, serverNameFirst: true),
        ClientHelloBuilder.Build("daskgateway-" + Cluster, sessionIdLength: 0, paddingLength: 300),
        ClientHelloBuilder.Build("daskgateway-0123456789abcdef0123456789abcdef"),
        ClientHelloBuilder.Build("gateway.example.org"),
        ClientHelloBuilder.Build(null),
        ClientHelloBuilder.Build(null, withExtensions: false),
        await RealClientHello.CaptureAsync("daskgateway-" + Cluster),
        await RealClientHello.CaptureAsync("daskgateway-" + Cluster, SslProtocols.Tls12),
        await RealClientHello.CaptureAsync("127.0.0.1"),
        "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(),
    ];

    /// <summary>Schedulers that read everything they are sent, count it and close.</summary>
    private sealed class CountingScheduler : ISchedulerDialer
    {
        public Task<long>? Received { get; set; }

        public ValueTask<ProxyEndpoint?> DialAsync(string target, CancellationToken cancellationToken)
        {
            var (proxySide, schedulerSide) = DuplexPipePair.Create();
            Received = DrainAsync(schedulerSide);
            return ValueTask.FromResult<ProxyEndpoint?>(new PipeEndpoint(proxySide));
        }

        private static async Task<long> DrainAsync(IDuplexPipe pipe)
        {
            await pipe.Output.CompleteAsync();
            long total = 0;
            while (true)
            {
                var result = await pipe.Input.ReadAsync();
                total += result.Buffer.Length;
                pipe.Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    await pipe.Input.CompleteAsync();
                    return total;
                }
            }
        }
    }
}
