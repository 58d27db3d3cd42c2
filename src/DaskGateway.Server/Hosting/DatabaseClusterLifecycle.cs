using DaskGateway.Backends;
using DaskGateway.Clusters;
using DaskGateway.Storage;

namespace DaskGateway.Hosting;

/// <summary>
/// The lifecycle of backends whose clusters the gateway keeps in its database: records are read
/// before the gateway serves, reconciling starts with the scheduler API URL, and at shutdown
/// clusters are stopped (or left running for the next start when the store is durable).
/// </summary>
internal sealed class DatabaseClusterLifecycle : IClusterLifecycle
{
    private readonly DBBackendBase _backend;
    private readonly ClusterReconciler _reconciler;
    private readonly ClusterRecords _records;
    private readonly IClusterStore _store;

    public DatabaseClusterLifecycle(DBBackendBase backend, ClusterReconciler reconciler, ClusterRecords records, IClusterStore store, GatewayComponents components)
    {
        _backend = backend;
        _reconciler = reconciler;
        _records = records;
        _store = store;
        StateDescription = components.StoreDescription;
    }

    public string StateDescription { get; }

    public Task LoadAsync(CancellationToken cancellationToken) => _reconciler.LoadAsync(_records, cancellationToken);

    public Task StartAsync(string privateApiUrl, CancellationToken cancellationToken) =>
        _reconciler.StartAsync(_backend.ApiUrl.Length > 0 ? _backend.ApiUrl.TrimEnd('/') : privateApiUrl);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _reconciler.StopAsync(_backend.StopClustersOnShutdown || !_store.IsDurable, cancellationToken);
        await _backend.CleanupAsync(cancellationToken);
        await _store.DisposeAsync();
    }
}
