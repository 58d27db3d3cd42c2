using DaskGateway.Backends;
using DaskGateway.Logging;
using DaskGateway.Reconciliation;
using DaskGateway.Security;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Clusters;

/// <summary>
/// Moves one cluster a step toward its target (protocol.md §4.2, §4.4): CREATED is submitted to the
/// backend, SUBMITTED becomes RUNNING once its scheduler reports, RUNNING gets its missing workers,
/// and a cluster asked to stop closes its workers, then its scheduler.
/// </summary>
internal sealed partial class ClusterStateMachine
{
    /// <summary>
    /// The most workers one reconciliation of a cluster creates: a large scale request becomes
    /// many short passes that other clusters' work can interleave with, not one pass that holds
    /// the cluster's lock and the store while it makes every worker.
    /// </summary>
    internal const int WorkersCreatedPerPass = 100;

    private readonly BackendCalls _calls;
    private readonly ClusterCredentialFactory _credentials;
    private readonly WorkQueue<ReconcileKey> _queue;
    private readonly ClusterTimeline _timeline;
    private readonly StartingJobs _starting;
    private readonly IRouteSink? _routes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ClusterStateMachine(
        BackendCalls calls,
        ClusterCredentialFactory credentials,
        WorkQueue<ReconcileKey> queue,
        ClusterTimeline timeline,
        StartingJobs starting,
        IRouteSink? routes,
        TimeProvider time,
        ILogger logger)
    {
        _calls = calls;
        _credentials = credentials;
        _queue = queue;
        _timeline = timeline;
        _starting = starting;
        _routes = routes;
        _time = time;
        _logger = logger;
    }

    private DBBackendBase Backend => _calls.Backend;

    private TimeSpan StartTimeout => TimeSpan.FromSeconds(Backend.ClusterStartTimeout);

    private TimeSpan HeartbeatTimeout => TimeSpan.FromSeconds(Backend.EffectiveHeartbeatTimeout);

    /// <summary>Asks an active cluster to stop (<see cref="JobStatus.Stopped"/>) or fail; a no-op for stopping or stopped ones.</summary>
    public async Task RequestStopAsync(Cluster cluster, JobStatus target, string reason)
    {
        if (!cluster.TryRequestStop(target))
        {
            return;
        }

        await _timeline.PersistAsync(cluster, target == JobStatus.Failed ? "failing" : "stopping", reason);
        _queue.Enqueue(ReconcileKey.For(cluster));
    }

    public Task FailAsync(Cluster cluster, string reason) => RequestStopAsync(cluster, JobStatus.Failed, reason);

    public async Task ReconcileAsync(Cluster cluster, CancellationToken cancellationToken)
    {
        var (status, target) = cluster.Phase();
        if (status >= JobStatus.Stopped)
        {
            return;
        }

        if (target >= JobStatus.Stopped)
        {
            await CloseAsync(cluster, status, target, cancellationToken);
            return;
        }

        if (status == JobStatus.Created)
        {
            await SubmitAsync(cluster, cancellationToken);
            return;
        }

        if (status == JobStatus.Submitted)
        {
            if (!cluster.TryMarkRunning(Now(), _routes))
            {
                await CheckStartDeadlineAsync(cluster);
                return;
            }

            _starting.Remove(cluster);
            cluster.SignalReady();
            await _timeline.PersistAsync(cluster, "running", $"scheduler at {cluster.SchedulerAddress}");
        }

        await ReconcileRunningAsync(cluster);
    }

    private async Task SubmitAsync(Cluster cluster, CancellationToken cancellationToken)
    {
        try
        {
            if (cluster.Credentials is null)
            {
                cluster.SetCredentials(await _credentials.CreateAsync(cluster.Name, cancellationToken));
            }

            var remaining = StartTimeout - TimeSpan.FromMilliseconds(Now() - cluster.StartTime);
            await _calls.RunStartAsync(
                token => Backend.StartClusterAsync(_calls.ToInfo(cluster), token),
                remaining,
                state =>
                {
                    cluster.SetState(state);
                    return _timeline.PersistAsync(cluster);
                },
                $"the backend did not start the cluster within {Backend.ClusterStartTimeout:0.###} s",
                cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogStartFailed(e, cluster.Name);
            cluster.MarkStartFailed();
            await _timeline.PersistAsync(cluster, "failed", $"failed to start: {e.Message}");
            _queue.Enqueue(ReconcileKey.For(cluster));
            return;
        }

        cluster.MarkSubmitted();
        _starting.Add(cluster);
        await _timeline.PersistAsync(cluster, "submitted", "scheduler started; waiting for it to report");
        _queue.Enqueue(ReconcileKey.For(cluster));
    }

    /// <summary>A cluster whose scheduler has not reported within the start timeout fails; otherwise look again at the deadline.</summary>
    private async Task CheckStartDeadlineAsync(Cluster cluster)
    {
        var elapsed = TimeSpan.FromMilliseconds(Now() - cluster.StartTime);
        if (elapsed >= StartTimeout)
        {
            await FailAsync(cluster, $"the scheduler did not report within the start timeout of {Backend.ClusterStartTimeout:0.###} s");
            return;
        }

        _queue.EnqueueAfter(ReconcileKey.For(cluster), StartTimeout - elapsed);
    }

    private async Task ReconcileRunningAsync(Cluster cluster)
    {
        var sinceHeartbeat = TimeSpan.FromMilliseconds(Now() - cluster.LastHeartbeat);
        if (sinceHeartbeat >= HeartbeatTimeout)
        {
            await FailAsync(cluster, $"no heartbeat from the scheduler for {sinceHeartbeat.TotalSeconds:0.#} s (timeout {Backend.EffectiveHeartbeatTimeout:0.###} s)");
            return;
        }

        // One deadline per cluster, re-armed when it comes due: heartbeats themselves enqueue nothing.
        _queue.EnqueueAfter(ReconcileKey.For(cluster), HeartbeatTimeout - sinceHeartbeat);

        if (cluster.WorkerStartFailures >= Backend.WorkerStartFailureLimit)
        {
            await FailAsync(cluster, $"{cluster.WorkerStartFailures} consecutive worker start failures (limit {Backend.WorkerStartFailureLimit})");
            return;
        }

        var (created, moreMissing) = cluster.AddMissingWorkers(WorkersCreatedPerPass, Now());
        foreach (var worker in created)
        {
            await _timeline.PersistAsync(worker);
            _queue.Enqueue(ReconcileKey.For(worker));
        }

        if (moreMissing)
        {
            // The rest comes in later passes, behind whatever else the queue holds by then.
            _queue.Enqueue(ReconcileKey.For(cluster));
        }
    }

    private async Task CloseAsync(Cluster cluster, JobStatus status, JobStatus target, CancellationToken cancellationToken)
    {
        if (status != JobStatus.Closing)
        {
            var stopping = cluster.BeginClosing();
            _starting.Remove(cluster);
            cluster.SignalReady();
            await _timeline.PersistAsync(cluster);
            foreach (var worker in stopping)
            {
                await _timeline.PersistAsync(worker);
                _queue.Enqueue(ReconcileKey.For(worker));
            }
        }

        if (!cluster.AllWorkersStopped)
        {
            // The last worker to stop enqueues the cluster again.
            return;
        }

        // A cluster that never started has nothing to stop; anything else is stopped even if starting failed half-way.
        if (status != JobStatus.Created || cluster.State.Count > 0)
        {
            try
            {
                await Backend.StopClusterAsync(_calls.ToInfo(cluster), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogStopFailed(e, cluster.Name);
                _timeline.AddWarning(cluster, $"the backend failed to stop the scheduler: {e.Message}");
            }
        }

        cluster.MarkStopped(target, Now(), _routes);
        cluster.SignalReady();
        await _timeline.PersistAsync(cluster, target == JobStatus.Failed ? "failed" : "stopped", target == JobStatus.Failed ? "cluster failed" : "cluster stopped");
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = GatewayEventIds.ClusterStateMachineStartFailed, Level = LogLevel.Warning, Message = "Cluster {ClusterName} failed to start")]
    private partial void LogStartFailed(Exception exception, string clusterName);

    [LoggerMessage(EventId = GatewayEventIds.ClusterStateMachineStopFailed, Level = LogLevel.Warning, Message = "Stopping cluster {ClusterName} failed")]
    private partial void LogStopFailed(Exception exception, string clusterName);
}
