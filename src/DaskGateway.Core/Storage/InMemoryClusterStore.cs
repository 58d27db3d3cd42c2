namespace DaskGateway.Storage;

/// <summary>Keeps nothing beyond the process: the gateway's in-memory records are all there is.</summary>
internal sealed class InMemoryClusterStore : IClusterStore
{
    public bool IsDurable => false;

    public Task<StoreContents> LoadAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new StoreContents([], [], []));

    public Task SaveClusterAsync(ClusterRecord cluster, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SaveWorkerAsync(WorkerRecord worker, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task AddEventAsync(ClusterEventRecord clusterEvent, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<int> DeleteClustersStoppedBeforeAsync(long cutoff, CancellationToken cancellationToken) => Task.FromResult(0);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
