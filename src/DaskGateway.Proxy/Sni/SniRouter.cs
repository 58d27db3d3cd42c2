using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using DaskGateway.Logging;
using DaskGateway.Proxy.Routing;
using DaskGateway.Proxy.Tls;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Proxy.Sni;

/// <summary>
/// The first thing every connection on a public listener meets (protocol.md §2.3, design.md §2).
/// It peeks at the first TLS record without consuming it: a ClientHello whose SNI is
/// <c>daskgateway-&lt;cluster&gt;</c> is piped byte for byte to that cluster's scheduler (TLS stays
/// end to end); an unknown cluster name is closed without a byte written; anything else goes on to
/// the HTTP(S) pipeline, which then reads the same bytes from the start. Nothing that goes wrong on
/// one connection escapes it: the outcome is a value, and the connection is closed.
/// </summary>
internal sealed partial class SniRouter : IDisposable
{
    /// <summary>The SNI prefix of scheduler connections; the rest of the name is the cluster's.</summary>
    public const string SniPrefix = "daskgateway-";

    private const int BufferSize = 64 * 1024;

    private readonly RouteTable _routes;
    private readonly ISchedulerDialer _dialer;
    private readonly TimeSpan _handshakeTimeout;
    private readonly TimeProvider _time;
    private readonly UnknownClusterLog _unknownClusters;
    private readonly ILogger<SniRouter> _logger;

    public SniRouter(RouteTable routes, ISchedulerDialer dialer, ProxyOptions options, TimeProvider time, ILogger<SniRouter> logger)
    {
        _routes = routes;
        _dialer = dialer;
        _handshakeTimeout = options.HandshakeTimeout;
        _time = time;
        _unknownClusters = new UnknownClusterLog(time, logger);
        _logger = logger;
    }

    /// <summary>
    /// Kestrel connection middleware: scheduler connections are piped, the rest go to
    /// <paramref name="next"/>, or are closed when <paramref name="schedulersOnly"/> (a listener
    /// for scheduler traffic alone, <c>Proxy.TcpAddress</c>).
    /// </summary>
    public ConnectionDelegate Middleware(ConnectionDelegate next, bool schedulersOnly) => async connection =>
    {
        var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        var closing = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        var outcome = await RouteAsync(connection.Transport, socket, connection.ConnectionId, schedulersOnly, closing);
        if (outcome == ConnectionOutcome.Http)
        {
            await next(connection);
        }
    };

    /// <summary>
    /// Routes one connection. <paramref name="clientSocket"/>, when the transport has one, carries
    /// the bytes to the client so that a scheduler's half-close reaches the client as a half-close
    /// (Kestrel's output pipe can only close both directions at once).
    /// </summary>
    /// <param name="client">The client's transport; nothing is consumed unless the connection is piped.</param>
    /// <param name="clientSocket">The client's socket, if any.</param>
    /// <param name="connectionId">For the log.</param>
    /// <param name="schedulersOnly">Close what is not for a scheduler instead of returning <see cref="ConnectionOutcome.Http"/>.</param>
    /// <param name="closing">Fires when the server shuts down: piped connections are then closed.</param>
    public async Task<ConnectionOutcome> RouteAsync(IDuplexPipe client, Socket? clientSocket, string connectionId, bool schedulersOnly, CancellationToken closing)
    {
        try
        {
            var (status, serverName, ended) = await PeekAsync(client.Input, closing);
            if (ended is { } early)
            {
                LogEndedEarly(connectionId, early);
                return early;
            }

            if (status == ClientHelloStatus.ServerName && serverName!.StartsWith(SniPrefix, StringComparison.Ordinal))
            {
                var cluster = serverName[SniPrefix.Length..];
                if (!_routes.TryGetSni(cluster, out var target))
                {
                    _unknownClusters.Add(connectionId, LogText.Escape(cluster));
                    return ConnectionOutcome.UnknownCluster;
                }

                return await PipeAsync(client, clientSocket, connectionId, cluster, target, closing);
            }

            if (schedulersOnly)
            {
                LogNotForScheduler(connectionId, status);
                return ConnectionOutcome.NotForScheduler;
            }

            return ConnectionOutcome.Http;
        }
        catch (Exception e)
        {
            // A connection boundary: whatever happened stays with this connection, which is closed.
            LogFailed(e, connectionId);
            return ConnectionOutcome.Failed;
        }
    }

    public void Dispose() => _unknownClusters.Dispose();

    /// <summary>Reads until the first record is whole (or proves not to be a ClientHello), consuming nothing.</summary>
    private async ValueTask<(ClientHelloStatus Status, string? ServerName, ConnectionOutcome? Ended)> PeekAsync(PipeReader input, CancellationToken closing)
    {
        using var handshake = new CancellationTokenSource(_handshakeTimeout, _time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(closing, handshake.Token);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                return (ClientHelloStatus.NeedMoreData, null, ConnectionOutcome.HandshakeTimeout);
            }

            var buffer = result.Buffer;
            var status = ClientHelloParser.Parse(buffer, out var serverName);
            if (status != ClientHelloStatus.NeedMoreData)
            {
                // Nothing consumed and nothing examined: whoever reads next (the pump, or Kestrel's
                // TLS or HTTP code) gets every byte at once. Marking the bytes examined here would
                // make that next read wait for more data that a client waiting for our answer never sends.
                input.AdvanceTo(buffer.Start);
                return (status, serverName, null);
            }

            // The parser is cheap to run again: it returns at once until the whole record is in.
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return (status, null, ConnectionOutcome.ClientClosed);
            }
        }
    }

    private async Task<ConnectionOutcome> PipeAsync(IDuplexPipe client, Socket? clientSocket, string connectionId, string cluster, string target, CancellationToken closing)
    {
        await using var scheduler = await _dialer.DialAsync(target, closing);
        if (scheduler is null)
        {
            return ConnectionOutcome.SchedulerUnreachable;
        }

        var (shownName, shownTarget) = (LogText.Escape(cluster), LogText.Escape(target));
        LogPiping(connectionId, shownName, shownTarget);
        await using ProxyEndpoint clientEnd = clientSocket is null ? new PipeEndpoint(client) : new SocketEndpoint(clientSocket, ownsSocket: false);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(closing);

        // The peeked ClientHello is still unread in the client's pipe: the first copy replays it.
        var up = CopyFromClientAsync(client.Input, scheduler, abort);
        var down = CopyToClientAsync(scheduler, clientEnd, abort);
        var (sent, sentAll) = await up;
        var (received, receivedAll) = await down;
        var complete = sentAll && receivedAll;
        LogPiped(connectionId, shownName, sent, received, complete ? "both directions finished" : "aborted");
        return complete ? ConnectionOutcome.Proxied : ConnectionOutcome.ProxyAborted;
    }

    /// <summary>Client to scheduler, then the client's half-close to the scheduler.</summary>
    private static async Task<(long Bytes, bool Finished)> CopyFromClientAsync(PipeReader input, ProxyEndpoint scheduler, CancellationTokenSource abort)
    {
        long total = 0;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(abort.Token);
                var buffer = result.Buffer;
                if (buffer.IsSingleSegment)
                {
                    await scheduler.SendAsync(buffer.First, abort.Token);
                }
                else if (!buffer.IsEmpty)
                {
                    await SendGatheredAsync(buffer, scheduler, abort.Token);
                }

                total += buffer.Length;
                input.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }

            scheduler.ShutdownSend();
            return (total, true);
        }
        catch (Exception)
        {
            // Either side broke (or the server is shutting down): stop the other direction too.
            await abort.CancelAsync();
            return (total, false);
        }
    }

    /// <summary>Kestrel reads into 4 KiB blocks: gathered, each send is one large write instead of many small ones.</summary>
    private static async ValueTask SendGatheredAsync(ReadOnlySequence<byte> buffer, ProxyEndpoint scheduler, CancellationToken cancellationToken)
    {
        var gather = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length, BufferSize));
        try
        {
            for (var rest = buffer; !rest.IsEmpty;)
            {
                var count = (int)Math.Min(rest.Length, gather.Length);
                rest.Slice(0, count).CopyTo(gather);
                await scheduler.SendAsync(gather.AsMemory(0, count), cancellationToken);
                rest = rest.Slice(count);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(gather);
        }
    }

    /// <summary>Scheduler to client, then the scheduler's half-close to the client. Idle, it holds no buffer.</summary>
    private static async Task<(long Bytes, bool Finished)> CopyToClientAsync(ProxyEndpoint scheduler, ProxyEndpoint client, CancellationTokenSource abort)
    {
        long total = 0;
        try
        {
            while (true)
            {
                await scheduler.WaitForDataAsync(abort.Token);
                var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                try
                {
                    var count = await scheduler.ReceiveAsync(buffer, abort.Token);
                    if (count == 0)
                    {
                        break;
                    }

                    await client.SendAsync(buffer.AsMemory(0, count), abort.Token);
                    total += count;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            client.ShutdownSend();
            return (total, true);
        }
        catch (Exception)
        {
            // Either side broke (or the server is shutting down): stop the other direction too.
            await abort.CancelAsync();
            return (total, false);
        }
    }

    [LoggerMessage(EventId = GatewayEventIds.SniRouterPiping, Level = LogLevel.Debug, Message = "Connection id \"{ConnectionId}\" for cluster {ClusterName}: piping to {Target}")]
    private partial void LogPiping(string connectionId, string clusterName, string target);

    [LoggerMessage(EventId = GatewayEventIds.SniRouterPiped, Level = LogLevel.Debug, Message = "Connection id \"{ConnectionId}\" for cluster {ClusterName} ended ({How}): {SentBytes} bytes to the scheduler, {ReceivedBytes} bytes back")]
    private partial void LogPiped(string connectionId, string clusterName, long sentBytes, long receivedBytes, string how);

    [LoggerMessage(EventId = GatewayEventIds.SniRouterNotForScheduler, Level = LogLevel.Debug, Message = "Connection id \"{ConnectionId}\" on the scheduler listener is not a scheduler connection ({Status}): closed")]
    private partial void LogNotForScheduler(string connectionId, ClientHelloStatus status);

    [LoggerMessage(EventId = GatewayEventIds.SniRouterEndedEarly, Level = LogLevel.Debug, Message = "Connection id \"{ConnectionId}\" closed before routing: {Outcome}")]
    private partial void LogEndedEarly(string connectionId, ConnectionOutcome outcome);

    [LoggerMessage(EventId = GatewayEventIds.SniRouterFailed, Level = LogLevel.Warning, Message = "Connection id \"{ConnectionId}\" failed unexpectedly and was closed")]
    private partial void LogFailed(Exception exception, string connectionId);
}
