using DaskGateway.Backends;
using DaskGateway.Storage;

namespace DaskGateway.Clusters;

/// <summary>
/// The clusters of a <see cref="DBBackendBase"/> backend, kept in the gateway's database and
/// brought to their targets by the <see cref="ClusterReconciler"/>: records are read before the
/// gateway serves, reconciling starts with the scheduler API URL, and at shutdown clusters are
/// stopped (or left running for the next start when the store is durable).
/// </summary>
internal sealed class DatabaseClusterSource : IClusterSource
{
    private readonly DBBackendBase _backend;
    private readonly ClusterRegistry _registry;
    private readonly ClusterReconciler _reconciler;
    private readonly ClusterRecords _records;
    private readonly IClusterStore _store;
    private readonly TimeProvider _timeProvider;

    public DatabaseClusterSource(
        DBBackendBase backend,
        ClusterRegistry registry,
        ClusterReconciler reconciler,
        ClusterRecords records,
        IClusterStore store,
        DatabaseDescription description,
        TimeProvider timeProvider)
    {
        _backend = backend;
        _registry = registry;
        _reconciler = reconciler;
        _records = records;
        _store = store;
        _timeProvider = timeProvider;
        StateDescription = description.Text;
    }

    public string StateDescription { get; }

    public Task LoadAsync(CancellationToken cancellationToken) => _reconciler.LoadAsync(_records, cancellationToken);

    public Task StartAsync(string privateApiUrl, CancellationToken cancellationToken) =>
        _reconciler.StartAsync(_backend.ApiUrl.Length > 0 ? _backend.ApiUrl.TrimEnd('/') : privateApiUrl);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _reconciler.StopAsync(_backend.StopClustersOnShutdown || !_store.IsDurable, cancellationToken);
        await _store.DisposeAsync();
    }

    public IReadOnlyList<ClusterState> List(string? username)
    {
        var clusters = username is null ? [.. _registry.All] : _registry.ListForUser(username);
        return [.. clusters.Select(cluster => cluster.Snapshot())];
    }

    public ValueTask<ClusterState?> FindAsync(string name, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_registry.TryGet(name, out var cluster) ? cluster.Snapshot() : null);

    public Task WaitUntilReadyAsync(string name, CancellationToken cancellationToken) =>
        _registry.TryGet(name, out var cluster) ? cluster.Ready.WaitAsync(cancellationToken) : Task.CompletedTask;

    public ValueTask<string?> GetTokenAsync(ClusterState cluster, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_registry.TryGet(cluster.Name, out var known) ? known.Token : null);

    public Task<IReadOnlyList<ClusterEvent>> GetEventsAsync(ClusterState cluster, CancellationToken cancellationToken) =>
        Task.FromResult(_registry.TryGet(cluster.Name, out var known) ? known.Events() : (IReadOnlyList<ClusterEvent>)[]);

    public async Task<ClusterResult<string>> CreateAsync(ClusterRequest request, CancellationToken cancellationToken)
    {
        var cluster = new Cluster(NewId(), request.User.Name, NewId(), request.Options, request.Config, Now());
        await _reconciler.AddAsync(cluster);
        return cluster.Name;
    }

    public async Task<ClusterError?> StopAsync(ClusterState cluster, string reason, CancellationToken cancellationToken)
    {
        if (_registry.TryGet(cluster.Name, out var known))
        {
            await _reconciler.RequestStopAsync(known, JobStatus.Stopped, reason);
        }

        return null;
    }

    public async Task<ClusterError?> SetWorkerCountAsync(ClusterState cluster, int count, CancellationToken cancellationToken)
    {
        if (!_registry.TryGet(cluster.Name, out var known))
        {
            return null;
        }

        if (known.TryScale(count))
        {
            await _reconciler.PersistAsync(known);
            _reconciler.Enqueue(known);
        }

        return null;
    }

    public async Task OnSchedulerUnreachableAsync(ClusterState cluster, CancellationToken cancellationToken)
    {
        // The client's request was retried before this: a scheduler that cannot take it is gone.
        if (_registry.TryGet(cluster.Name, out var known))
        {
            await _reconciler.RequestStopAsync(known, JobStatus.Failed, "the scheduler did not accept a scale or adapt request after 3 attempts");
        }
    }

    public bool IsSchedulerHost(ClusterState cluster, string host) =>
        _registry.TryGet(cluster.Name, out var known) && _backend.IsSchedulerHost(_reconciler.ToInfo(known), host);

    public async Task RecordEventAsync(ClusterState cluster, string kind, string message, CancellationToken cancellationToken)
    {
        if (_registry.TryGet(cluster.Name, out var known))
        {
            await _reconciler.PersistAsync(known, kind, message);
        }
    }

    public async Task OnHeartbeatAsync(ClusterState cluster, Heartbeat heartbeat, CancellationToken cancellationToken)
    {
        if (!_registry.TryGet(cluster.Name, out var known))
        {
            return;
        }

        if (known.ApplyHeartbeat(heartbeat, Now()) is not { } changes)
        {
            return;
        }

        foreach (var worker in changes.ChangedWorkers)
        {
            await _reconciler.PersistAsync(worker);
            if (worker.Target >= JobStatus.Stopped)
            {
                _reconciler.Enqueue(worker);
            }
        }

        if (changes.LostWorkers is { } lost)
        {
            await _reconciler.PersistAsync(known, "worker-lost", $"the scheduler no longer reports worker(s) {lost}; replacing them");
        }
        else if (changes.ClusterChanged)
        {
            await _reconciler.PersistAsync(known);
        }

        if (changes.ClusterChanged || changes.ChangedWorkers.Count > 0)
        {
            _reconciler.Enqueue(known);
        }
    }

    private static string NewId() => Guid.NewGuid().ToString("N");

    private long Now() => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
}

/// <summary>Where the database-backed clusters are kept, for the startup log.</summary>
/// <param name="Text">For example the SQLite file's path.</param>
internal sealed record DatabaseDescription(string Text);
