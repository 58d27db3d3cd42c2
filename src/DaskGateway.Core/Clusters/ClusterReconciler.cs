using DaskGateway.Backends;
using DaskGateway.Logging;
using DaskGateway.Reconciliation;
using DaskGateway.Security;
using DaskGateway.Storage;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Clusters;

/// <summary>
/// Drives every cluster and worker toward its target (protocol.md §4.2–4.5): starts and stops them
/// through the backend, fails them on timeouts, and records each change in the store and in the
/// cluster's events. Work is event-driven: a cluster or worker is reconciled when something about
/// it changes or one of its deadlines comes due, never by scanning every cluster. This class runs
/// the work queue and the periodic checks; the steps themselves are its collaborators'.
/// </summary>
internal sealed partial class ClusterReconciler : IAsyncDisposable
{
    private readonly ClusterRegistry _registry;
    private readonly DBBackendBase _backend;
    private readonly ClusterCredentialFactory _credentials;
    private readonly TimeProvider _time;
    private readonly ILogger<ClusterReconciler> _logger;
    private readonly WorkQueue<ReconcileKey> _queue;
    private readonly Reconciler<ReconcileKey> _runner;
    private readonly BackendCalls _calls;
    private readonly ClusterTimeline _timeline;
    private readonly ClusterStateMachine _clusters;
    private readonly WorkerStateMachine _workers;
    private readonly ClusterLiveness _liveness;
    private readonly ClusterRestore _restore;
    private readonly ClusterRetention _retention;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private int _disposed;

    public ClusterReconciler(
        ClusterRegistry registry,
        IClusterStore store,
        DBBackendBase backend,
        ClusterCredentialFactory credentials,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        IRouteSink? routes = null)
    {
        _registry = registry;
        _backend = backend;
        _credentials = credentials;
        _time = time;

        // One logger category for every part, as before the reconciler was split: log filters keep working.
        _logger = loggerFactory.CreateLogger<ClusterReconciler>();
        var backoff = new Backoff<ReconcileKey>(TimeSpan.FromSeconds(backend.BackoffBaseDelay), TimeSpan.FromSeconds(backend.BackoffMaxDelay));
        _queue = new WorkQueue<ReconcileKey>(time, backoff);
        var starting = new StartingJobs();
        _calls = new BackendCalls(backend, credentials, time);
        _timeline = new ClusterTimeline(store, time, _logger);
        _clusters = new ClusterStateMachine(_calls, credentials, _queue, _timeline, starting, routes, time, _logger);
        _workers = new WorkerStateMachine(_calls, _queue, _timeline, starting, time, _logger);
        _liveness = new ClusterLiveness(_calls, starting, _clusters, _workers);
        _restore = new ClusterRestore(store, registry, _clusters, starting, _queue, routes, time, _logger);
        _retention = new ClusterRetention(store, registry, _queue, backend, time, _logger);
        backend.ExitObserver = OnMayHaveExited;
        _runner = new Reconciler<ReconcileKey>(_queue, ReconcileAsync, backend.Parallelism, loggerFactory.CreateLogger<Reconciler<ReconcileKey>>());
    }

    /// <summary>Loads the stored clusters, before the gateway serves requests.</summary>
    public Task LoadAsync(ClusterRecords records, CancellationToken cancellationToken) => _restore.RestoreAsync(records, cancellationToken);

    /// <summary>Starts reconciling, once the gateway listens; schedulers are told to report to <paramref name="apiUrl"/>.</summary>
    public async Task StartAsync(string apiUrl)
    {
        _calls.ApiUrl = apiUrl;
        _credentials.StartFilling();
        await _runner.StartAsync();
        _loops.Add(RunPeriodicallyAsync(TimeSpan.FromSeconds(_backend.ClusterStatusPeriod), _liveness.CheckStartingClustersAsync));
        _loops.Add(RunPeriodicallyAsync(TimeSpan.FromSeconds(_backend.WorkerStatusPeriod), _liveness.CheckStartingWorkersAsync));
        _loops.Add(RunPeriodicallyAsync(TimeSpan.FromSeconds(_backend.DbCleanupPeriod), _retention.CleanupAsync, runFirst: true));
    }

    /// <summary>
    /// Stops reconciling. With <paramref name="stopClusters"/>, every active cluster is stopped first
    /// (until <paramref name="cancellationToken"/> fires); otherwise they keep running for the next start
    /// to adopt. Either way, clusters already asked to stop or fail are finished first.
    /// </summary>
    public async Task StopAsync(bool stopClusters, CancellationToken cancellationToken)
    {
        if (stopClusters)
        {
            foreach (var cluster in _registry.All)
            {
                await RequestStopAsync(cluster, JobStatus.Stopped, "the gateway is shutting down");
            }
        }

        // A stop accepted before shutdown (a user's DELETE, a failed heartbeat) is finished even when
        // clusters are kept for the next start: half-stopped, its processes would run on with nobody
        // asking for them, and the next start would only see a cluster that is already on its way out.
        bool Unfinished(Cluster cluster)
        {
            var (status, target) = cluster.Phase();
            return status < JobStatus.Stopped && (stopClusters || target >= JobStatus.Stopped);
        }

        try
        {
            while (_registry.All.Any(Unfinished))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            LogShutdownIncomplete(_registry.All.Count(Unfinished));
        }

        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_loops);
        }
        catch (OperationCanceledException)
        {
        }

        await _runner.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync();
        }

        _runner.Dispose();
        _queue.Dispose();
        _stopping.Dispose();
    }

    public void Enqueue(Cluster cluster) => _queue.Enqueue(ReconcileKey.For(cluster));

    public void Enqueue(Worker worker) => _queue.Enqueue(ReconcileKey.For(worker));

    /// <summary>Records a new cluster and starts it.</summary>
    public async Task AddAsync(Cluster cluster)
    {
        _registry.Add(cluster);
        await PersistAsync(cluster, "created", $"created for {cluster.Username}");
        Enqueue(cluster);
    }

    /// <inheritdoc cref="ClusterStateMachine.RequestStopAsync"/>
    public Task RequestStopAsync(Cluster cluster, JobStatus target, string reason) => _clusters.RequestStopAsync(cluster, target, reason);

    /// <inheritdoc cref="ClusterTimeline.PersistAsync(Cluster, string?, string?)"/>
    public Task PersistAsync(Cluster cluster, string? eventKind = null, string? eventMessage = null) => _timeline.PersistAsync(cluster, eventKind, eventMessage);

    public Task PersistAsync(Worker worker) => _timeline.PersistAsync(worker);

    /// <summary>What the backend is told about <paramref name="cluster"/>.</summary>
    internal ClusterInfo ToInfo(Cluster cluster) => _calls.ToInfo(cluster);

    private async Task ReconcileAsync(ReconcileKey key, CancellationToken cancellationToken)
    {
        if (!_registry.TryGet(key.Cluster, out var cluster))
        {
            return;
        }

        if (key.Worker is null)
        {
            await _clusters.ReconcileAsync(cluster, cancellationToken);
        }
        else if (cluster.TryGetWorker(key.Worker, out var worker))
        {
            await _workers.ReconcileAsync(worker!, cancellationToken);
        }
    }

    /// <summary>The backend saw a scheduler or worker end: check it now rather than at the next periodic check.</summary>
    private void OnMayHaveExited(string clusterName, string? workerName)
    {
        if (_stopping.IsCancellationRequested || !_registry.TryGet(clusterName, out var cluster))
        {
            return;
        }

        _ = Task.Run(() => RunGuardedAsync(token => _liveness.CheckExitedAsync(cluster, workerName, token), _stopping.Token));
    }

    private async Task RunPeriodicallyAsync(TimeSpan period, Func<CancellationToken, Task> action, bool runFirst = false)
    {
        using var timer = new PeriodicTimer(period, _time);
        var token = _stopping.Token;
        if (runFirst)
        {
            await RunGuardedAsync(action, token);
        }

        while (await timer.WaitForNextTickAsync(token))
        {
            await RunGuardedAsync(action, token);
        }
    }

    private async Task RunGuardedAsync(Func<CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        try
        {
            await action(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogLoopFailed(e);
        }
    }

    [LoggerMessage(EventId = GatewayEventIds.ClusterReconcilerLoopFailed, Level = LogLevel.Error, Message = "A periodic check failed")]
    private partial void LogLoopFailed(Exception exception);

    [LoggerMessage(EventId = GatewayEventIds.ClusterReconcilerShutdownIncomplete, Level = LogLevel.Warning, Message = "Shutdown ended with {Count} clusters not yet stopped")]
    private partial void LogShutdownIncomplete(int count);
}
