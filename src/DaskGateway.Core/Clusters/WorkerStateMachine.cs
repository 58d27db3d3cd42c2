using DaskGateway.Backends;
using DaskGateway.Logging;
using DaskGateway.Reconciliation;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Clusters;

/// <summary>
/// Moves one worker a step toward its target (protocol.md §4.3, §4.5): CREATED is started through
/// the backend, SUBMITTED fails when the scheduler has not reported it by the start deadline, and a
/// worker asked to stop or fail is stopped through the backend.
/// </summary>
internal sealed partial class WorkerStateMachine
{
    private readonly BackendCalls _calls;
    private readonly WorkQueue<ReconcileKey> _queue;
    private readonly ClusterTimeline _timeline;
    private readonly StartingJobs _starting;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public WorkerStateMachine(BackendCalls calls, WorkQueue<ReconcileKey> queue, ClusterTimeline timeline, StartingJobs starting, TimeProvider time, ILogger logger)
    {
        _calls = calls;
        _queue = queue;
        _timeline = timeline;
        _starting = starting;
        _time = time;
        _logger = logger;
    }

    private DBBackendBase Backend => _calls.Backend;

    private TimeSpan StartTimeout => TimeSpan.FromSeconds(Backend.WorkerStartTimeout);

    public async Task ReconcileAsync(Worker worker, CancellationToken cancellationToken)
    {
        var (status, target) = worker.Phase();
        if (status >= JobStatus.Stopped)
        {
            return;
        }

        if (target >= JobStatus.Stopped)
        {
            await StopAsync(worker, status, target, cancellationToken);
            return;
        }

        if (status == JobStatus.Created)
        {
            await SubmitAsync(worker, cancellationToken);
            return;
        }

        if (status == JobStatus.Submitted)
        {
            // The start deadline came due: the scheduler never reported this worker.
            var elapsed = TimeSpan.FromMilliseconds(Now() - worker.StartTime);
            if (elapsed < StartTimeout)
            {
                _queue.EnqueueAfter(ReconcileKey.For(worker), StartTimeout - elapsed);
                return;
            }

            await FailStartAsync(worker, $"worker {worker.Name} did not connect within the start timeout of {Backend.WorkerStartTimeout:0.###} s");
        }
    }

    /// <summary>A worker still wanted that did not start fails, counting toward its cluster's limit of start failures.</summary>
    public async Task FailStartAsync(Worker worker, string reason)
    {
        if (!worker.TryFailStart())
        {
            return;
        }

        _starting.Remove(worker);
        await _timeline.PersistAsync(worker);
        await _timeline.PersistAsync(worker.Cluster, "worker-failed", reason);
        _queue.Enqueue(ReconcileKey.For(worker));
        _queue.Enqueue(ReconcileKey.For(worker.Cluster));
    }

    /// <summary>A worker that ran and died fails and is replaced; it does not count as a start failure.</summary>
    public async Task MarkLostAsync(Worker worker, string reason)
    {
        if (!worker.TryMarkLost())
        {
            return;
        }

        await _timeline.PersistAsync(worker);
        await _timeline.PersistAsync(worker.Cluster, "worker-lost", reason);
        _queue.Enqueue(ReconcileKey.For(worker));
    }

    private async Task SubmitAsync(Worker worker, CancellationToken cancellationToken)
    {
        var cluster = worker.Cluster;
        try
        {
            await _calls.RunStartAsync(
                token => Backend.StartWorkerAsync(_calls.ToInfo(worker), token),
                StartTimeout,
                state =>
                {
                    worker.SetState(state);
                    return _timeline.PersistAsync(worker);
                },
                $"the backend did not start the worker within {Backend.WorkerStartTimeout:0.###} s",
                cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogWorkerStartFailed(e, worker.Name, cluster.Name);
            worker.MarkStartAttempted();
            await FailStartAsync(worker, $"worker {worker.Name} failed to start: {e.Message}");
            return;
        }

        // A heartbeat may already have reported the worker running, or the cluster may be stopping.
        var stillWanted = worker.MarkSubmitted();
        await _timeline.PersistAsync(worker);
        if (stillWanted)
        {
            _starting.Add(worker);
            _queue.EnqueueAfter(ReconcileKey.For(worker), StartTimeout - TimeSpan.FromMilliseconds(Now() - worker.StartTime));
        }
        else
        {
            _queue.Enqueue(ReconcileKey.For(worker));
        }
    }

    private async Task StopAsync(Worker worker, JobStatus status, JobStatus target, CancellationToken cancellationToken)
    {
        var cluster = worker.Cluster;
        _starting.Remove(worker);
        if (status > JobStatus.Created)
        {
            try
            {
                await Backend.StopWorkerAsync(_calls.ToInfo(worker), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogWorkerStopFailed(e, worker.Name, cluster.Name);
            }
        }

        var lookAtCluster = worker.MarkStopped(target, Now());
        await _timeline.PersistAsync(worker);
        if (lookAtCluster)
        {
            _queue.Enqueue(ReconcileKey.For(cluster));
        }
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = GatewayEventIds.WorkerStateMachineWorkerStartFailed, Level = LogLevel.Warning, Message = "Worker {WorkerName} of cluster {ClusterName} failed to start")]
    private partial void LogWorkerStartFailed(Exception exception, string workerName, string clusterName);

    [LoggerMessage(EventId = GatewayEventIds.WorkerStateMachineWorkerStopFailed, Level = LogLevel.Warning, Message = "Stopping worker {WorkerName} of cluster {ClusterName} failed")]
    private partial void LogWorkerStopFailed(Exception exception, string workerName, string clusterName);
}
