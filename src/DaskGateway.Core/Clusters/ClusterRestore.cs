using DaskGateway.Logging;
using DaskGateway.Reconciliation;
using DaskGateway.Storage;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Clusters;

/// <summary>
/// Loads the stored clusters, workers and events when the gateway starts and adopts those still
/// active: running ones are routed again, starting ones are watched or, when a second scheduler
/// could result, failed; every unfinished cluster and worker is reconciled once.
/// </summary>
internal sealed partial class ClusterRestore
{
    private readonly IClusterStore _store;
    private readonly ClusterRegistry _registry;
    private readonly ClusterStateMachine _clusters;
    private readonly StartingJobs _starting;
    private readonly WorkQueue<ReconcileKey> _queue;
    private readonly IRouteSink? _routes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ClusterRestore(
        IClusterStore store,
        ClusterRegistry registry,
        ClusterStateMachine clusters,
        StartingJobs starting,
        WorkQueue<ReconcileKey> queue,
        IRouteSink? routes,
        TimeProvider time,
        ILogger logger)
    {
        _store = store;
        _registry = registry;
        _clusters = clusters;
        _starting = starting;
        _queue = queue;
        _routes = routes;
        _time = time;
        _logger = logger;
    }

    public async Task RestoreAsync(ClusterRecords records, CancellationToken cancellationToken)
    {
        var contents = await _store.LoadAsync(cancellationToken);
        var byName = new Dictionary<string, Cluster>(StringComparer.Ordinal);
        foreach (var record in contents.Clusters)
        {
            var cluster = records.FromRecord(record);

            // A count stored before the worker limit applied to it (or under a higher limit) is not started.
            cluster.Count = Math.Min(cluster.Count, cluster.Config.WorkerLimit);
            byName[cluster.Name] = cluster;
            _registry.Add(cluster);
        }

        foreach (var record in contents.Workers)
        {
            if (byName.TryGetValue(record.ClusterName, out var cluster))
            {
                cluster.RestoreWorker(ClusterRecords.FromRecord(record, cluster));
            }
        }

        foreach (var record in contents.Events)
        {
            if (byName.TryGetValue(record.ClusterName, out var cluster))
            {
                cluster.AddEvent(new ClusterEvent(record.Time, record.Kind, record.Message));
            }
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var adopted = 0;
        foreach (var cluster in byName.Values.Where(c => c.Status < JobStatus.Stopped))
        {
            adopted++;
            await AdoptAsync(cluster, now);
        }

        foreach (var cluster in byName.Values.Where(c => c.Status >= JobStatus.Stopped))
        {
            cluster.SignalReady();
        }

        if (contents.Clusters.Count > 0)
        {
            LogRestored(contents.Clusters.Count, adopted);
        }
    }

    private async Task AdoptAsync(Cluster cluster, long now)
    {
        cluster.RecordHeartbeat(now);
        if (cluster.Status >= JobStatus.Running)
        {
            if (cluster.Status == JobStatus.Running && cluster.IsActive)
            {
                // Routes live in memory only: a restarted gateway routes its running clusters again at once.
                _routes?.AddClusterRoutes(cluster.Name, cluster.SchedulerAddress, cluster.DashboardAddress);
            }

            cluster.SignalReady();
        }
        else if (cluster.Status == JobStatus.Created && cluster.State.Count > 0 && cluster.IsActive)
        {
            // Starting again could leave a second scheduler behind (upstream's restart quirk): fail it
            // instead, which stops whatever was started.
            await _clusters.FailAsync(cluster, "the gateway restarted while the cluster was starting");
        }
        else if (cluster.Status == JobStatus.Submitted && cluster.IsActive)
        {
            _starting.Add(cluster);
        }

        _queue.Enqueue(ReconcileKey.For(cluster));
        foreach (var worker in cluster.Workers.Values.Where(w => w.Status < JobStatus.Stopped))
        {
            if (worker.Status == JobStatus.Submitted && worker.Target == JobStatus.Running)
            {
                _starting.Add(worker);
            }

            _queue.Enqueue(ReconcileKey.For(worker));
        }
    }

    [LoggerMessage(EventId = GatewayEventIds.ClusterRestoreRestored, Level = LogLevel.Information, Message = "Restored {Count} clusters from the store; {Active} still active")]
    private partial void LogRestored(int count, int active);
}
