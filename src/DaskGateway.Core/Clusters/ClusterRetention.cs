using DaskGateway.Backends;
using DaskGateway.Logging;
using DaskGateway.Reconciliation;
using DaskGateway.Storage;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Clusters;

/// <summary>Deletes clusters stopped longer ago than <c>DBBackendBase.DbClusterMaxAge</c>, from the store and from memory.</summary>
internal sealed partial class ClusterRetention
{
    private readonly IClusterStore _store;
    private readonly ClusterRegistry _registry;
    private readonly WorkQueue<ReconcileKey> _queue;
    private readonly DBBackendBase _backend;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ClusterRetention(IClusterStore store, ClusterRegistry registry, WorkQueue<ReconcileKey> queue, DBBackendBase backend, TimeProvider time, ILogger logger)
    {
        _store = store;
        _registry = registry;
        _queue = queue;
        _backend = backend;
        _time = time;
        _logger = logger;
    }

    public async Task CleanupAsync(CancellationToken cancellationToken)
    {
        var cutoff = _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)(_backend.DbClusterMaxAge * 1000);
        var deleted = await _store.DeleteClustersStoppedBeforeAsync(cutoff, cancellationToken);
        foreach (var cluster in _registry.All.Where(c => c.StopTime < cutoff).ToList())
        {
            _registry.Remove(cluster);
            _queue.ResetBackoff(ReconcileKey.For(cluster));
            foreach (var worker in cluster.Workers.Values)
            {
                _queue.ResetBackoff(ReconcileKey.For(worker));
            }
        }

        if (deleted > 0)
        {
            LogCleanedUp(deleted);
        }
    }

    [LoggerMessage(EventId = GatewayEventIds.ClusterRetentionCleanedUp, Level = LogLevel.Information, Message = "Deleted {Count} old cluster records")]
    private partial void LogCleanedUp(int count);
}
