namespace DaskGateway.Storage;

/// <summary>
/// Where cluster records persist. The gateway keeps every record in memory and writes each change
/// through to the store; it reads the store only when it starts.
/// </summary>
internal interface IClusterStore : IAsyncDisposable
{
    /// <summary>Whether records survive a restart.</summary>
    bool IsDurable { get; }

    /// <summary>Creates or upgrades the schema, and reads every record.</summary>
    Task<StoreContents> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Inserts or replaces a cluster, by name.</summary>
    Task SaveClusterAsync(ClusterRecord cluster, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces a worker, by cluster and name.</summary>
    Task SaveWorkerAsync(WorkerRecord worker, CancellationToken cancellationToken);

    /// <summary>
    /// Appends an event to a cluster's timeline. A durable store keeps each cluster's timeline within
    /// <see cref="Clusters.ClusterEventLimits"/> (its first and its latest events, messages cut to length).
    /// </summary>
    Task AddEventAsync(ClusterEventRecord clusterEvent, CancellationToken cancellationToken);

    /// <summary>Deletes clusters (with their workers and events) that stopped before <paramref name="cutoff"/> (ms since the epoch).</summary>
    Task<int> DeleteClustersStoppedBeforeAsync(long cutoff, CancellationToken cancellationToken);
}
