using System.Collections.Concurrent;
using System.Text.Json.Nodes;
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
/// it changes or one of its deadlines comes due, never by scanning every cluster.
/// </summary>
internal sealed partial class ClusterReconciler : IAsyncDisposable
{
    /// <summary>
    /// The most workers one reconciliation of a cluster creates: a large scale request becomes
    /// many short passes that other clusters' work can interleave with, not one pass that holds
    /// the cluster's lock and the store while it makes every worker.
    /// </summary>
    internal const int WorkersCreatedPerPass = 100;

    private readonly ClusterRegistry _registry;
    private readonly IClusterStore _store;
    private readonly DBBackendBase _backend;
    private readonly ClusterCredentialFactory _credentials;
    private readonly TimeProvider _time;
    private readonly ILogger<ClusterReconciler> _logger;
    private readonly IRouteSink? _routes;
    private readonly WorkQueue<ReconcileKey> _queue;
    private readonly Reconciler<ReconcileKey> _runner;
    private readonly ConcurrentDictionary<string, Cluster> _startingClusters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ReconcileKey, Worker> _startingWorkers = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private string _apiUrl = "";
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
        _routes = routes;
        _registry = registry;
        _store = store;
        _backend = backend;
        _credentials = credentials;
        _time = time;
        _logger = loggerFactory.CreateLogger<ClusterReconciler>();
        var backoff = new Backoff<ReconcileKey>(TimeSpan.FromSeconds(backend.BackoffBaseDelay), TimeSpan.FromSeconds(backend.BackoffMaxDelay));
        _queue = new WorkQueue<ReconcileKey>(time, backoff);
        backend.ExitObserver = OnMayHaveExited;
        _runner = new Reconciler<ReconcileKey>(_queue, ReconcileAsync, backend.Parallelism, loggerFactory.CreateLogger<Reconciler<ReconcileKey>>());
    }

    private TimeSpan ClusterStartTimeout => TimeSpan.FromSeconds(_backend.ClusterStartTimeout);

    private TimeSpan WorkerStartTimeout => TimeSpan.FromSeconds(_backend.WorkerStartTimeout);

    private TimeSpan HeartbeatTimeout => TimeSpan.FromSeconds(_backend.EffectiveHeartbeatTimeout);

    /// <summary>Loads the stored clusters, before the gateway serves requests.</summary>
    public Task LoadAsync(ClusterRecords records, CancellationToken cancellationToken) => RestoreAsync(records, cancellationToken);

    /// <summary>Starts reconciling, once the gateway listens; schedulers are told to report to <paramref name="apiUrl"/>.</summary>
    public async Task StartAsync(string apiUrl)
    {
        _apiUrl = apiUrl;
        _credentials.StartFilling();
        await _runner.StartAsync();
        _loops.Add(RunPeriodicallyAsync(TimeSpan.FromSeconds(_backend.ClusterStatusPeriod), CheckStartingClustersAsync));
        _loops.Add(RunPeriodicallyAsync(TimeSpan.FromSeconds(_backend.WorkerStatusPeriod), CheckStartingWorkersAsync));
        _loops.Add(RunPeriodicallyAsync(TimeSpan.FromSeconds(_backend.DbCleanupPeriod), CleanupAsync, runFirst: true));
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
            lock (cluster.SyncRoot)
            {
                return cluster.Status < JobStatus.Stopped && (stopClusters || !cluster.IsActive);
            }
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

    /// <summary>Asks an active cluster to stop (<see cref="JobStatus.Stopped"/>) or fail; a no-op for stopping or stopped ones.</summary>
    public async Task RequestStopAsync(Cluster cluster, JobStatus target, string reason)
    {
        lock (cluster.SyncRoot)
        {
            if (!cluster.IsActive)
            {
                return;
            }

            cluster.Target = target;
        }

        await PersistAsync(cluster, target == JobStatus.Failed ? "failing" : "stopping", reason);
        Enqueue(cluster);
    }

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

    private async Task ReconcileAsync(ReconcileKey key, CancellationToken cancellationToken)
    {
        if (!_registry.TryGet(key.Cluster, out var cluster))
        {
            return;
        }

        if (key.Worker is null)
        {
            await ReconcileClusterAsync(cluster, cancellationToken);
            return;
        }

        Worker? worker;
        lock (cluster.SyncRoot)
        {
            cluster.Workers.TryGetValue(key.Worker, out worker);
        }

        if (worker is not null)
        {
            await ReconcileWorkerAsync(worker, cancellationToken);
        }
    }

    private async Task ReconcileClusterAsync(Cluster cluster, CancellationToken cancellationToken)
    {
        JobStatus status, target;
        lock (cluster.SyncRoot)
        {
            (status, target) = (cluster.Status, cluster.Target);
        }

        if (status >= JobStatus.Stopped)
        {
            return;
        }

        if (target >= JobStatus.Stopped)
        {
            await CloseClusterAsync(cluster, status, target, cancellationToken);
            return;
        }

        if (status == JobStatus.Created)
        {
            await SubmitClusterAsync(cluster, cancellationToken);
            return;
        }

        if (status == JobStatus.Submitted)
        {
            bool running;
            lock (cluster.SyncRoot)
            {
                running = cluster.SchedulerAddress.Length > 0;
                if (running)
                {
                    cluster.Status = JobStatus.Running;
                    cluster.LastHeartbeat = Now();

                    // Routed before anyone can see RUNNING: a client connects as soon as it does.
                    AddRoutes(cluster);
                }
            }

            if (!running)
            {
                await CheckStartDeadlineAsync(cluster);
                return;
            }

            _startingClusters.TryRemove(cluster.Name, out _);
            cluster.SignalReady();
            await PersistAsync(cluster, "running", $"scheduler at {cluster.SchedulerAddress}");
        }

        await ReconcileRunningClusterAsync(cluster);
    }

    private async Task SubmitClusterAsync(Cluster cluster, CancellationToken cancellationToken)
    {
        try
        {
            if (cluster.Credentials is null)
            {
                var credentials = await _credentials.CreateAsync(cluster.Name, cancellationToken);
                lock (cluster.SyncRoot)
                {
                    cluster.Credentials = credentials;
                }
            }

            var remaining = ClusterStartTimeout - TimeSpan.FromMilliseconds(Now() - cluster.StartTime);
            await RunBackendStartAsync(
                token => _backend.StartClusterAsync(ToInfo(cluster), token),
                remaining,
                state =>
                {
                    lock (cluster.SyncRoot)
                    {
                        cluster.State = state;
                    }

                    return PersistAsync(cluster);
                },
                $"the backend did not start the cluster within {_backend.ClusterStartTimeout:0.###} s",
                cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogStartFailed(e, cluster.Name);
            lock (cluster.SyncRoot)
            {
                cluster.Status = JobStatus.Submitted;
                cluster.Target = JobStatus.Failed;
            }

            await PersistAsync(cluster, "failed", $"failed to start: {e.Message}");
            Enqueue(cluster);
            return;
        }

        lock (cluster.SyncRoot)
        {
            cluster.Status = JobStatus.Submitted;
        }

        _startingClusters[cluster.Name] = cluster;
        await PersistAsync(cluster, "submitted", "scheduler started; waiting for it to report");
        Enqueue(cluster);
    }

    /// <summary>A cluster whose scheduler has not reported within the start timeout fails; otherwise look again at the deadline.</summary>
    private async Task CheckStartDeadlineAsync(Cluster cluster)
    {
        var elapsed = TimeSpan.FromMilliseconds(Now() - cluster.StartTime);
        if (elapsed >= ClusterStartTimeout)
        {
            await FailAsync(cluster, $"the scheduler did not report within the start timeout of {_backend.ClusterStartTimeout:0.###} s");
            return;
        }

        _queue.EnqueueAfter(ReconcileKey.For(cluster), ClusterStartTimeout - elapsed);
    }

    private async Task ReconcileRunningClusterAsync(Cluster cluster)
    {
        var sinceHeartbeat = TimeSpan.FromMilliseconds(Now() - cluster.LastHeartbeat);
        if (sinceHeartbeat >= HeartbeatTimeout)
        {
            await FailAsync(cluster, $"no heartbeat from the scheduler for {sinceHeartbeat.TotalSeconds:0.#} s (timeout {_backend.EffectiveHeartbeatTimeout:0.###} s)");
            return;
        }

        // One deadline per cluster, re-armed when it comes due: heartbeats themselves enqueue nothing.
        _queue.EnqueueAfter(ReconcileKey.For(cluster), HeartbeatTimeout - sinceHeartbeat);

        if (cluster.WorkerStartFailures >= _backend.WorkerStartFailureLimit)
        {
            await FailAsync(cluster, $"{cluster.WorkerStartFailures} consecutive worker start failures (limit {_backend.WorkerStartFailureLimit})");
            return;
        }

        List<Worker> created = [];
        bool moreMissing;
        lock (cluster.SyncRoot)
        {
            var missing = cluster.Count - cluster.ActiveWorkers.Count();
            for (var i = 0; i < Math.Min(missing, WorkersCreatedPerPass); i++)
            {
                var worker = new Worker(Guid.NewGuid().ToString("N"), cluster, Now());
                cluster.Workers.Add(worker.Name, worker);
                created.Add(worker);
            }

            moreMissing = missing > WorkersCreatedPerPass;
        }

        foreach (var worker in created)
        {
            await PersistAsync(worker);
            Enqueue(worker);
        }

        if (moreMissing)
        {
            // The rest comes in later passes, behind whatever else the queue holds by then.
            Enqueue(cluster);
        }
    }

    private async Task CloseClusterAsync(Cluster cluster, JobStatus status, JobStatus target, CancellationToken cancellationToken)
    {
        if (status != JobStatus.Closing)
        {
            List<Worker> stopping;
            lock (cluster.SyncRoot)
            {
                stopping = [.. cluster.Workers.Values.Where(w => w.Target < JobStatus.Stopped)];
                foreach (var worker in stopping)
                {
                    worker.Target = JobStatus.Stopped;
                    worker.CloseExpected = true;
                }

                cluster.Status = JobStatus.Closing;
            }

            _startingClusters.TryRemove(cluster.Name, out _);
            cluster.SignalReady();
            await PersistAsync(cluster);
            foreach (var worker in stopping)
            {
                await PersistAsync(worker);
                Enqueue(worker);
            }
        }

        bool ready;
        lock (cluster.SyncRoot)
        {
            ready = cluster.AllWorkersStopped;
        }

        if (!ready)
        {
            // The last worker to stop enqueues the cluster again.
            return;
        }

        // A cluster that never started has nothing to stop; anything else is stopped even if starting failed half-way.
        if (status != JobStatus.Created || cluster.State.Count > 0)
        {
            try
            {
                await _backend.StopClusterAsync(ToInfo(cluster), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogStopFailed(e, cluster.Name);
                cluster.AddEvent(new ClusterEvent(Now(), "warning", $"the backend failed to stop the scheduler: {e.Message}"));
            }
        }

        lock (cluster.SyncRoot)
        {
            cluster.Status = target;
            cluster.StopTime = Now();
            _routes?.RemoveClusterRoutes(cluster.Name);
        }

        cluster.SignalReady();
        await PersistAsync(cluster, target == JobStatus.Failed ? "failed" : "stopped", target == JobStatus.Failed ? "cluster failed" : "cluster stopped");
    }

    private async Task ReconcileWorkerAsync(Worker worker, CancellationToken cancellationToken)
    {
        var cluster = worker.Cluster;
        JobStatus status, target;
        lock (cluster.SyncRoot)
        {
            (status, target) = (worker.Status, worker.Target);
        }

        if (status >= JobStatus.Stopped)
        {
            return;
        }

        if (target >= JobStatus.Stopped)
        {
            await StopWorkerAsync(worker, status, target, cancellationToken);
            return;
        }

        if (status == JobStatus.Created)
        {
            await SubmitWorkerAsync(worker, cancellationToken);
            return;
        }

        if (status == JobStatus.Submitted)
        {
            // The start deadline came due: the scheduler never reported this worker.
            var elapsed = TimeSpan.FromMilliseconds(Now() - worker.StartTime);
            if (elapsed < WorkerStartTimeout)
            {
                _queue.EnqueueAfter(ReconcileKey.For(worker), WorkerStartTimeout - elapsed);
                return;
            }

            await FailWorkerStartAsync(worker, $"worker {worker.Name} did not connect within the start timeout of {_backend.WorkerStartTimeout:0.###} s");
        }
    }

    private async Task SubmitWorkerAsync(Worker worker, CancellationToken cancellationToken)
    {
        var cluster = worker.Cluster;
        try
        {
            await RunBackendStartAsync(
                token => _backend.StartWorkerAsync(ToInfo(worker), token),
                WorkerStartTimeout,
                state =>
                {
                    lock (cluster.SyncRoot)
                    {
                        worker.State = state;
                    }

                    return PersistAsync(worker);
                },
                $"the backend did not start the worker within {_backend.WorkerStartTimeout:0.###} s",
                cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogWorkerStartFailed(e, worker.Name, cluster.Name);
            lock (cluster.SyncRoot)
            {
                worker.Status = JobStatus.Submitted;
            }

            await FailWorkerStartAsync(worker, $"worker {worker.Name} failed to start: {e.Message}");
            return;
        }

        bool stillWanted;
        lock (cluster.SyncRoot)
        {
            // A heartbeat may already have reported the worker running, or the cluster may be stopping.
            if (worker.Status == JobStatus.Created)
            {
                worker.Status = JobStatus.Submitted;
            }

            stillWanted = worker.Target == JobStatus.Running;
        }

        await PersistAsync(worker);
        if (stillWanted)
        {
            _startingWorkers[ReconcileKey.For(worker)] = worker;
            _queue.EnqueueAfter(ReconcileKey.For(worker), WorkerStartTimeout - TimeSpan.FromMilliseconds(Now() - worker.StartTime));
        }
        else
        {
            Enqueue(worker);
        }
    }

    private async Task FailWorkerStartAsync(Worker worker, string reason)
    {
        var cluster = worker.Cluster;
        lock (cluster.SyncRoot)
        {
            if (worker.Target != JobStatus.Running)
            {
                return;
            }

            worker.Target = JobStatus.Failed;
            cluster.WorkerStartFailures++;
        }

        _startingWorkers.TryRemove(ReconcileKey.For(worker), out _);
        await PersistAsync(worker);
        await PersistAsync(cluster, "worker-failed", reason);
        Enqueue(worker);
        Enqueue(cluster);
    }

    /// <summary>
    /// Runs a backend's start of a scheduler or worker within <paramref name="limit"/>, handing on
    /// each state it yields; running out of time is a <see cref="TimeoutException"/> with <paramref name="timeoutMessage"/>.
    /// </summary>
    private async Task RunBackendStartAsync(
        Func<CancellationToken, IAsyncEnumerable<JsonObject>> start,
        TimeSpan limit,
        Func<JsonObject, Task> onState,
        string timeoutMessage,
        CancellationToken cancellationToken)
    {
        _credentials.NoteActivity();
        using var timeout = new CancellationTokenSource(limit > TimeSpan.Zero ? limit : TimeSpan.Zero, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await foreach (var state in start(linked.Token).WithCancellation(linked.Token))
            {
                await onState(state);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(timeoutMessage);
        }
    }

    private async Task StopWorkerAsync(Worker worker, JobStatus status, JobStatus target, CancellationToken cancellationToken)
    {
        var cluster = worker.Cluster;
        _startingWorkers.TryRemove(ReconcileKey.For(worker), out _);
        if (status > JobStatus.Created)
        {
            try
            {
                await _backend.StopWorkerAsync(ToInfo(worker), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogWorkerStopFailed(e, worker.Name, cluster.Name);
            }
        }

        bool closeCluster, replace;
        lock (cluster.SyncRoot)
        {
            worker.Status = target;
            worker.StopTime = Now();
            closeCluster = cluster.Status == JobStatus.Closing && cluster.AllWorkersStopped;
            replace = cluster.Target == JobStatus.Running && !worker.CloseExpected;
        }

        await PersistAsync(worker);
        if (closeCluster || replace)
        {
            Enqueue(cluster);
        }
    }

    private Task FailAsync(Cluster cluster, string reason) => RequestStopAsync(cluster, JobStatus.Failed, reason);

    private async Task RestoreAsync(ClusterRecords records, CancellationToken cancellationToken)
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
                var worker = ClusterRecords.FromRecord(record, cluster);
                cluster.Workers[worker.Name] = worker;
            }
        }

        foreach (var record in contents.Events)
        {
            if (byName.TryGetValue(record.ClusterName, out var cluster))
            {
                cluster.AddEvent(new ClusterEvent(record.Time, record.Kind, record.Message));
            }
        }

        var now = Now();
        var adopted = 0;
        foreach (var cluster in byName.Values.Where(c => c.Status < JobStatus.Stopped))
        {
            adopted++;
            cluster.LastHeartbeat = now;
            if (cluster.Status >= JobStatus.Running)
            {
                if (cluster.Status == JobStatus.Running && cluster.IsActive)
                {
                    // Routes live in memory only: a restarted gateway routes its running clusters again at once.
                    AddRoutes(cluster);
                }

                cluster.SignalReady();
            }
            else if (cluster.Status == JobStatus.Created && cluster.State.Count > 0 && cluster.IsActive)
            {
                // Starting again could leave a second scheduler behind (upstream's restart quirk): fail it
                // instead, which stops whatever was started.
                await FailAsync(cluster, "the gateway restarted while the cluster was starting");
            }
            else if (cluster.Status == JobStatus.Submitted && cluster.IsActive)
            {
                _startingClusters[cluster.Name] = cluster;
            }

            Enqueue(cluster);
            foreach (var worker in cluster.Workers.Values.Where(w => w.Status < JobStatus.Stopped))
            {
                if (worker.Status == JobStatus.Submitted && worker.Target == JobStatus.Running)
                {
                    _startingWorkers[ReconcileKey.For(worker)] = worker;
                }

                Enqueue(worker);
            }
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

    private async Task CheckStartingClustersAsync(CancellationToken cancellationToken)
    {
        var starting = _startingClusters.Values.Where(c => c.Status == JobStatus.Submitted && c.IsActive).ToList();
        if (starting.Count == 0)
        {
            return;
        }

        var alive = await _backend.CheckClustersAsync([.. starting.Select(ToInfo)], cancellationToken);
        for (var i = 0; i < starting.Count; i++)
        {
            if (!alive[i])
            {
                await FailDeadClusterAsync(starting[i], cancellationToken);
            }
        }
    }

    private async Task CheckStartingWorkersAsync(CancellationToken cancellationToken)
    {
        var starting = _startingWorkers.Values.Where(w => w.Status == JobStatus.Submitted && w.Target == JobStatus.Running && w.Cluster.Status == JobStatus.Running).ToList();
        if (starting.Count == 0)
        {
            return;
        }

        var alive = await _backend.CheckWorkersAsync([.. starting.Select(ToInfo)], cancellationToken);
        for (var i = 0; i < starting.Count; i++)
        {
            if (!alive[i])
            {
                await FailDeadWorkerAsync(starting[i], cancellationToken);
            }
        }
    }

    /// <summary>The backend saw a scheduler or worker end: check it now rather than at the next periodic check.</summary>
    private void OnMayHaveExited(string clusterName, string? workerName)
    {
        if (_stopping.IsCancellationRequested || !_registry.TryGet(clusterName, out var cluster))
        {
            return;
        }

        _ = Task.Run(() => RunGuardedAsync(token => CheckExitedAsync(cluster, workerName, token), _stopping.Token));
    }

    private async Task CheckExitedAsync(Cluster cluster, string? workerName, CancellationToken cancellationToken)
    {
        if (workerName is null)
        {
            if (cluster.IsActive && cluster.Status is JobStatus.Submitted or JobStatus.Running
                && !(await _backend.CheckClustersAsync([ToInfo(cluster)], cancellationToken))[0])
            {
                await FailDeadClusterAsync(cluster, cancellationToken);
            }

            return;
        }

        Worker? worker;
        lock (cluster.SyncRoot)
        {
            cluster.Workers.TryGetValue(workerName, out worker);
        }

        if (worker is not null && worker.Target == JobStatus.Running && worker.Status is JobStatus.Submitted or JobStatus.Running
            && !(await _backend.CheckWorkersAsync([ToInfo(worker)], cancellationToken))[0])
        {
            await FailDeadWorkerAsync(worker, cancellationToken);
        }
    }

    private async Task FailDeadClusterAsync(Cluster cluster, CancellationToken cancellationToken)
    {
        var reason = await _backend.DescribeFailureAsync(ToInfo(cluster), null, cancellationToken) ?? "the backend reports that the scheduler is no longer running";
        await FailAsync(cluster, reason);
    }

    private async Task FailDeadWorkerAsync(Worker worker, CancellationToken cancellationToken)
    {
        var reason = await _backend.DescribeFailureAsync(ToInfo(worker.Cluster), ToInfo(worker), cancellationToken) ?? $"the backend reports that worker {worker.Name} is no longer running";
        if (worker.Status == JobStatus.Submitted)
        {
            await FailWorkerStartAsync(worker, reason);
            return;
        }

        // A worker that ran and died is replaced; it does not count as a start failure.
        lock (worker.Cluster.SyncRoot)
        {
            if (worker.Target != JobStatus.Running)
            {
                return;
            }

            worker.Target = JobStatus.Failed;
        }

        await PersistAsync(worker);
        await PersistAsync(worker.Cluster, "worker-lost", reason);
        Enqueue(worker);
    }

    private async Task CleanupAsync(CancellationToken cancellationToken)
    {
        var cutoff = Now() - (long)(_backend.DbClusterMaxAge * 1000);
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

    internal ClusterInfo ToInfo(Cluster cluster)
    {
        lock (cluster.SyncRoot)
        {
            return new ClusterInfo(
                cluster.Name,
                cluster.Username,
                cluster.Token,
                cluster.Config,
                cluster.Credentials?.CertificatePem ?? "",
                cluster.Credentials?.PrivateKeyPem ?? "",
                _apiUrl,
                cluster.SchedulerAddress,
                (JsonObject)cluster.State.DeepClone(),
                isStopping: !cluster.IsActive);
        }
    }

    private WorkerInfo ToInfo(Worker worker)
    {
        var cluster = ToInfo(worker.Cluster);
        lock (worker.Cluster.SyncRoot)
        {
            return new WorkerInfo(worker.Name, cluster, (JsonObject)worker.State.DeepClone());
        }
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private void AddRoutes(Cluster cluster) => _routes?.AddClusterRoutes(cluster.Name, cluster.SchedulerAddress, cluster.DashboardAddress);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Information, Message = "Cluster {ClusterName} {EventKind}: {EventMessage}")]
    private partial void LogClusterEvent(string clusterName, string eventKind, string eventMessage);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Warning, Message = "Cluster {ClusterName} failed to start")]
    private partial void LogStartFailed(Exception exception, string clusterName);

    [LoggerMessage(EventId = 1112, Level = LogLevel.Warning, Message = "Stopping cluster {ClusterName} failed")]
    private partial void LogStopFailed(Exception exception, string clusterName);

    [LoggerMessage(EventId = 1113, Level = LogLevel.Warning, Message = "Worker {WorkerName} of cluster {ClusterName} failed to start")]
    private partial void LogWorkerStartFailed(Exception exception, string workerName, string clusterName);

    [LoggerMessage(EventId = 1114, Level = LogLevel.Warning, Message = "Stopping worker {WorkerName} of cluster {ClusterName} failed")]
    private partial void LogWorkerStopFailed(Exception exception, string workerName, string clusterName);

    [LoggerMessage(EventId = 1115, Level = LogLevel.Information, Message = "Restored {Count} clusters from the store; {Active} still active")]
    private partial void LogRestored(int count, int active);

    [LoggerMessage(EventId = 1116, Level = LogLevel.Information, Message = "Deleted {Count} old cluster records")]
    private partial void LogCleanedUp(int count);

    [LoggerMessage(EventId = 1117, Level = LogLevel.Error, Message = "A periodic check failed")]
    private partial void LogLoopFailed(Exception exception);

    [LoggerMessage(EventId = 1118, Level = LogLevel.Warning, Message = "Shutdown ended with {Count} clusters not yet stopped")]
    private partial void LogShutdownIncomplete(int count);
}
