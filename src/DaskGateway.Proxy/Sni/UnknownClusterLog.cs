using DaskGateway.Logging;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Proxy.Sni;

/// <summary>
/// Connections that ask for a cluster without a route, logged so that a scan cannot flood the log:
/// each one at DEBUG, and at INFO a count at most once per <see cref="Interval"/>. The first such
/// connection is counted at once; later ones are summed until the interval since the last count
/// has passed (a timer reports what is left when no further connection comes).
/// </summary>
internal sealed partial class UnknownClusterLog : IDisposable
{
    /// <summary>The least time between two INFO lines.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _windowStart;
    private long? _lastSummary;
    private int _count;
    private ITimer? _timer;

    public UnknownClusterLog(TimeProvider time, ILogger logger)
    {
        _time = time;
        _logger = logger;
        _windowStart = time.GetTimestamp();
    }

    /// <summary>Counts one connection for <paramref name="clusterName"/>, which has no route.</summary>
    public void Add(string connectionId, string clusterName)
    {
        LogUnknownCluster(connectionId, clusterName);
        lock (_lock)
        {
            _count++;
            var now = _time.GetTimestamp();
            var sinceSummary = _lastSummary is { } last ? _time.GetElapsedTime(last, now) : Interval;
            if (sinceSummary >= Interval)
            {
                Summarize(now);
            }
            else
            {
                _timer ??= _time.CreateTimer(_ => OnTimer(), null, Interval - sinceSummary, Timeout.InfiniteTimeSpan);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void OnTimer()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
            if (_count > 0)
            {
                Summarize(_time.GetTimestamp());
            }
        }
    }

    private void Summarize(long now)
    {
        var seconds = (long)_time.GetElapsedTime(_windowStart, now).TotalSeconds;
        LogSummary(_count, seconds);
        _count = 0;
        _lastSummary = _windowStart = now;
    }

    [LoggerMessage(EventId = GatewayEventIds.UnknownClusterLogUnknownCluster, Level = LogLevel.Debug, Message = "Connection id \"{ConnectionId}\" asked for cluster {ClusterName}, which has no route (unknown or not running): closed")]
    private partial void LogUnknownCluster(string connectionId, string clusterName);

    [LoggerMessage(EventId = GatewayEventIds.UnknownClusterLogSummary, Level = LogLevel.Information, Message = "{Count} connection(s) for unknown clusters in the last {Seconds} s, closed (each is logged at DEBUG)")]
    private partial void LogSummary(int count, long seconds);
}
