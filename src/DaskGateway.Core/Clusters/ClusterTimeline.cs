using DaskGateway.Logging;
using DaskGateway.Storage;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Clusters;

/// <summary>Saves clusters and workers to the store and records each change in the cluster's events (in memory, stored and logged).</summary>
internal sealed partial class ClusterTimeline
{
    private readonly IClusterStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ClusterTimeline(IClusterStore store, TimeProvider time, ILogger logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
    }

    /// <summary>Saves the cluster and, with <paramref name="eventKind"/>, adds an event to its timeline.</summary>
    public async Task PersistAsync(Cluster cluster, string? eventKind = null, string? eventMessage = null)
    {
        await _store.SaveClusterAsync(ClusterRecords.ToRecord(cluster), CancellationToken.None);
        if (eventKind is not null)
        {
            var clusterEvent = new ClusterEvent(Now(), eventKind, ClusterEventLimits.Truncate(eventMessage ?? ""));
            cluster.AddEvent(clusterEvent);
            await _store.AddEventAsync(new ClusterEventRecord(cluster.Name, clusterEvent.Time, clusterEvent.Kind, clusterEvent.Message), CancellationToken.None);
            var shownMessage = LogText.Escape(clusterEvent.Message);
            LogClusterEvent(cluster.Name, eventKind, shownMessage);
        }
    }

    public Task PersistAsync(Worker worker) => _store.SaveWorkerAsync(ClusterRecords.ToRecord(worker), CancellationToken.None);

    /// <summary>A warning shown in the cluster's events only (in memory), as a failed scheduler stop is.</summary>
    public void AddWarning(Cluster cluster, string message) => cluster.AddEvent(new ClusterEvent(Now(), "warning", message));

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = GatewayEventIds.ClusterTimelineClusterEvent, Level = LogLevel.Information, Message = "Cluster {ClusterName} {EventKind}: {EventMessage}")]
    private partial void LogClusterEvent(string clusterName, string eventKind, string eventMessage);
}
