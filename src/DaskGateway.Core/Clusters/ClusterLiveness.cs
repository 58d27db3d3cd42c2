using DaskGateway.Backends;

namespace DaskGateway.Clusters;

/// <summary>
/// Asks the backend whether schedulers and workers it started are still there: periodically for
/// those that have not yet reported, and at once when the backend saw one end. The dead are failed.
/// </summary>
internal sealed class ClusterLiveness
{
    private readonly BackendCalls _calls;
    private readonly StartingJobs _starting;
    private readonly ClusterStateMachine _clusters;
    private readonly WorkerStateMachine _workers;

    public ClusterLiveness(BackendCalls calls, StartingJobs starting, ClusterStateMachine clusters, WorkerStateMachine workers)
    {
        _calls = calls;
        _starting = starting;
        _clusters = clusters;
        _workers = workers;
    }

    private DBBackendBase Backend => _calls.Backend;

    public async Task CheckStartingClustersAsync(CancellationToken cancellationToken)
    {
        var starting = _starting.Clusters();
        if (starting.Count == 0)
        {
            return;
        }

        var alive = await Backend.CheckClustersAsync([.. starting.Select(_calls.ToInfo)], cancellationToken);
        for (var i = 0; i < starting.Count; i++)
        {
            if (!alive[i])
            {
                await FailDeadClusterAsync(starting[i], cancellationToken);
            }
        }
    }

    public async Task CheckStartingWorkersAsync(CancellationToken cancellationToken)
    {
        var starting = _starting.Workers();
        if (starting.Count == 0)
        {
            return;
        }

        var alive = await Backend.CheckWorkersAsync([.. starting.Select(_calls.ToInfo)], cancellationToken);
        for (var i = 0; i < starting.Count; i++)
        {
            if (!alive[i])
            {
                await FailDeadWorkerAsync(starting[i], cancellationToken);
            }
        }
    }

    /// <summary>The backend saw the scheduler (<paramref name="workerName"/> null) or a worker end: check it now.</summary>
    public async Task CheckExitedAsync(Cluster cluster, string? workerName, CancellationToken cancellationToken)
    {
        if (workerName is null)
        {
            if (cluster.IsActive && cluster.Status is JobStatus.Submitted or JobStatus.Running
                && !(await Backend.CheckClustersAsync([_calls.ToInfo(cluster)], cancellationToken))[0])
            {
                await FailDeadClusterAsync(cluster, cancellationToken);
            }

            return;
        }

        if (cluster.TryGetWorker(workerName, out var worker) && worker!.Target == JobStatus.Running && worker.Status is JobStatus.Submitted or JobStatus.Running
            && !(await Backend.CheckWorkersAsync([_calls.ToInfo(worker)], cancellationToken))[0])
        {
            await FailDeadWorkerAsync(worker, cancellationToken);
        }
    }

    private async Task FailDeadClusterAsync(Cluster cluster, CancellationToken cancellationToken)
    {
        var reason = await Backend.DescribeFailureAsync(_calls.ToInfo(cluster), null, cancellationToken) ?? "the backend reports that the scheduler is no longer running";
        await _clusters.FailAsync(cluster, reason);
    }

    private async Task FailDeadWorkerAsync(Worker worker, CancellationToken cancellationToken)
    {
        var reason = await Backend.DescribeFailureAsync(_calls.ToInfo(worker.Cluster), _calls.ToInfo(worker), cancellationToken) ?? $"the backend reports that worker {worker.Name} is no longer running";
        if (worker.Status == JobStatus.Submitted)
        {
            await _workers.FailStartAsync(worker, reason);
            return;
        }

        await _workers.MarkLostAsync(worker, reason);
    }
}
