using System.Collections.Concurrent;
using DaskGateway.Logging;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Clusters;

/// <summary>
/// Enforces <see cref="ClusterConfig.MaxLifetime"/> and <see cref="ClusterConfig.NoClientTimeout"/>
/// for every backend: ticks on the <see cref="TimeProvider"/>, looks at every active cluster of the
/// <see cref="IClusterSource"/> and stops the ones past a limit through it. Heartbeats (fed by
/// <see cref="ClusterApi.OnHeartbeatAsync"/>) say when a client was last connected; with a preload
/// that does not report <c>client_count</c>, a heartbeat whose wanted worker count or worker sets
/// changed since the previous one counts as activity instead.
/// </summary>
/// <remarks>
/// When a client was last seen is kept in memory only: after a gateway restart it is counted from
/// the first heartbeat this gateway receives.
/// </remarks>
internal sealed partial class ClusterLifetimes
{
    /// <summary>How often the limits are checked.</summary>
    public static readonly TimeSpan CheckPeriod = TimeSpan.FromSeconds(1);

    private readonly IClusterSource _source;
    private readonly TimeProvider _time;
    private readonly ILogger<ClusterLifetimes> _logger;
    private readonly ConcurrentDictionary<string, Activity> _activity = new(StringComparer.Ordinal);

    public ClusterLifetimes(IClusterSource source, TimeProvider time, ILogger<ClusterLifetimes> logger)
    {
        _source = source;
        _time = time;
        _logger = logger;
    }

    /// <summary>Notes a checked heartbeat of an active cluster.</summary>
    public void OnHeartbeat(ClusterState cluster, Heartbeat heartbeat)
    {
        var now = _time.GetUtcNow();
        var signature = Signature(heartbeat);
        _activity.AddOrUpdate(
            cluster.Name,
            static (_, state) => new Activity(state.Now, state.Signature, state.Heartbeat.ClientCount),
            static (_, previous, state) =>
            {
                var clients = state.Heartbeat.ClientCount;

                // A client that just left counts too: the timeout runs from its departure.
                var active = clients is not null
                    ? clients > 0 || previous.ClientCount > 0
                    : !previous.Signature.Equals(state.Signature, StringComparison.Ordinal);
                return new Activity(active ? state.Now : previous.LastActive, state.Signature, clients);
            },
            (Now: now, Signature: signature, Heartbeat: heartbeat));
    }

    /// <summary>Runs <see cref="CheckAsync"/> every <see cref="CheckPeriod"/> until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(CheckPeriod, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await CheckAsync(cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogCheckFailed(e);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    /// <summary>Stops every active cluster past its maximum lifetime or its no-client timeout.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var active = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cluster in _source.List(null))
        {
            if (!cluster.IsActive)
            {
                continue;
            }

            active.Add(cluster.Name);
            if (StopReason(cluster, now) is { } reason)
            {
                LogStopping(cluster.Name, reason);
                _activity.TryRemove(cluster.Name, out _);
                await _source.StopAsync(cluster, reason, cancellationToken);
            }
        }

        foreach (var name in _activity.Keys.Where(name => !active.Contains(name)).ToList())
        {
            _activity.TryRemove(name, out _);
        }
    }

    private string? StopReason(ClusterState cluster, DateTimeOffset now)
    {
        var maxLifetime = cluster.Config.MaxLifetime;
        if (maxLifetime > 0 && (now - DateTimeOffset.FromUnixTimeMilliseconds(cluster.StartTime)).TotalSeconds >= maxLifetime)
        {
            return $"stopped: reached its maximum lifetime of {Seconds(maxLifetime)} s";
        }

        var timeout = cluster.Config.NoClientTimeout;
        if (timeout > 0 && cluster.Status == ClusterStatus.Running && _activity.TryGetValue(cluster.Name, out var activity)
            && !(activity.ClientCount > 0) && (now - activity.LastActive).TotalSeconds >= timeout)
        {
            return activity.ClientCount is not null
                ? $"stopped: no Dask client connected for {Seconds(timeout)} s"
                : $"stopped: no activity (worker count or workers changed) for {Seconds(timeout)} s";
        }

        return null;
    }

    private static string Seconds(double seconds) => seconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    private static string Signature(Heartbeat heartbeat) =>
        string.Join('\n', heartbeat.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), Sorted(heartbeat.ActiveWorkers), Sorted(heartbeat.ClosingWorkers));

    private static string Sorted(IReadOnlyList<string> names) => string.Join(' ', names.Order(StringComparer.Ordinal));

    [LoggerMessage(EventId = GatewayEventIds.ClusterLifetimesStopping, Level = LogLevel.Information, Message = "Stopping cluster {ClusterName}: {Reason}")]
    private partial void LogStopping(string clusterName, string reason);

    [LoggerMessage(EventId = GatewayEventIds.ClusterLifetimesCheckFailed, Level = LogLevel.Error, Message = "Checking cluster lifetimes failed")]
    private partial void LogCheckFailed(Exception exception);

    /// <summary>
    /// When a cluster was last active, the worker count and sets of its previous heartbeat, and
    /// its clients then (null when its preload does not report them). A cluster whose last
    /// heartbeat had a client counts as active until a heartbeat says otherwise: with a heartbeat
    /// period of 0 the preload only reports changes.
    /// </summary>
    private sealed record Activity(DateTimeOffset LastActive, string Signature, int? ClientCount);
}
