using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DaskGateway.Logging;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Proxy.Sni;

/// <summary>Dials schedulers over TCP with a deadline; failures are values (null), logged once.</summary>
internal sealed partial class SocketDialer : ISchedulerDialer
{
    private readonly TimeSpan _timeout;
    private readonly ILogger<SocketDialer> _logger;

    public SocketDialer(ProxyOptions options, ILogger<SocketDialer> logger)
    {
        _timeout = options.ConnectTimeout;
        _logger = logger;
    }

    /// <summary>Splits <c>tls://host:port</c>, <c>host:port</c> or <c>[v6]:port</c>; upstream stores SNI targets without the scheme.</summary>
    public static bool TryParseTarget(string target, out string host, out int port)
    {
        var scheme = target.IndexOf("://", StringComparison.Ordinal);
        var address = scheme >= 0 ? target[(scheme + 3)..] : target;
        var colon = address.LastIndexOf(':');
        host = colon > 0 ? address[..colon].Trim('[', ']') : "";
        port = 0;
        return host.Length > 0
            && int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port)
            && port is > 0 and <= 65535;
    }

    public async ValueTask<ProxyEndpoint?> DialAsync(string target, CancellationToken cancellationToken)
    {
        if (!TryParseTarget(target, out var host, out var port))
        {
            LogBadTarget(LogText.Escape(target));
            return null;
        }

        EndPoint endPoint = IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            await socket.ConnectAsync(endPoint, timeout.Token);
            return new SocketEndpoint(socket, ownsSocket: true);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            if (!cancellationToken.IsCancellationRequested)
            {
                LogUnreachable(LogText.Escape(target), e is OperationCanceledException ? $"no connection within {_timeout.TotalSeconds:0.###} s" : e.Message);
            }

            return null;
        }
    }

    [LoggerMessage(EventId = GatewayEventIds.SocketDialerUnreachable, Level = LogLevel.Warning, Message = "Scheduler at {Target} could not be reached: {Reason}")]
    private partial void LogUnreachable(string target, string reason);

    [LoggerMessage(EventId = GatewayEventIds.SocketDialerBadTarget, Level = LogLevel.Warning, Message = "SNI route target {Target} is not host:port")]
    private partial void LogBadTarget(string target);
}
