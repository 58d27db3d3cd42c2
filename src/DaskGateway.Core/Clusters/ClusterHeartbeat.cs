namespace DaskGateway.Clusters;

/// <summary>How the cluster takes its scheduler's heartbeat (protocol.md §3.5), in one step under its lock.</summary>
internal sealed partial class Cluster
{
    /// <summary>
    /// Applies a heartbeat received at <paramref name="now"/>: addresses learned from the first one,
    /// the count the scheduler wants, and each worker's news. Null when the cluster is stopping or
    /// stopped, which ignores heartbeats.
    /// </summary>
    public HeartbeatChanges? ApplyHeartbeat(Heartbeat heartbeat, long now)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        lock (SyncRoot)
        {
            if (!IsActive)
            {
                return null;
            }

            LastHeartbeat = now;
            var clusterChanged = false;
            if (Status < JobStatus.Running && SchedulerAddress != heartbeat.SchedulerAddress)
            {
                // Addresses are learned from the first heartbeat (protocol.md §3.5 step 2).
                SchedulerAddress = heartbeat.SchedulerAddress;
                DashboardAddress = heartbeat.DashboardAddress;
                ApiAddress = heartbeat.ApiAddress;
                clusterChanged = true;
            }

            // The count was clamped to the cluster's limit by the cluster API, for every backend.
            if (heartbeat.Count != Count)
            {
                Count = heartbeat.Count;
                clusterChanged = true;
            }

            var (changedWorkers, lost) = ApplyWorkerReports(heartbeat);
            return new HeartbeatChanges(changedWorkers, clusterChanged, lost.Count > 0 ? string.Join(", ", lost) : null);
        }
    }

    private (List<Worker> Changed, List<string> Lost) ApplyWorkerReports(Heartbeat heartbeat)
    {
        var active = heartbeat.ActiveWorkers.ToHashSet(StringComparer.Ordinal);
        var closing = heartbeat.ClosingWorkers.ToHashSet(StringComparer.Ordinal);
        var closed = heartbeat.ClosedWorkers.ToHashSet(StringComparer.Ordinal);
        var changed = new List<Worker>();
        var pending = new List<Worker>();
        var lost = new List<string>();
        foreach (var worker in Workers.Values.Where(w => w.Status < JobStatus.Stopped))
        {
            if (closing.Contains(worker.Name))
            {
                if (worker.Status != JobStatus.Running || !worker.CloseExpected)
                {
                    worker.Status = JobStatus.Running;
                    worker.CloseExpected = true;
                    changed.Add(worker);
                }
            }
            else if (active.Contains(worker.Name))
            {
                if (worker.Status != JobStatus.Running)
                {
                    worker.Status = JobStatus.Running;
                    WorkerStartFailures = 0;
                    changed.Add(worker);
                }
            }
            else if (closed.Contains(worker.Name))
            {
                if (worker.Target < JobStatus.Stopped)
                {
                    worker.Target = worker.CloseExpected ? JobStatus.Stopped : JobStatus.Failed;
                    changed.Add(worker);
                }
            }
            else if (worker.Status == JobStatus.Running && worker.Target == JobStatus.Running)
            {
                // Upstream asserts here and answers 500 (protocol.md §12.9): a worker we saw running
                // that the scheduler no longer knows at all. It is gone; replace it.
                worker.Target = JobStatus.Failed;
                changed.Add(worker);
                lost.Add(worker.Name);
            }
            else if (worker.Status < JobStatus.Running && worker.Target == JobStatus.Running)
            {
                pending.Add(worker);
            }
        }

        // Trim pending workers the scheduler no longer needs, those not yet submitted first.
        var surplus = active.Count + pending.Count - Count;
        foreach (var worker in pending.OrderBy(w => w.Status).Take(Math.Max(surplus, 0)))
        {
            worker.Target = JobStatus.Stopped;
            worker.CloseExpected = true;
            changed.Add(worker);
        }

        return ([.. changed.Distinct()], lost);
    }
}

/// <summary>
/// What a heartbeat changed: the workers to save (and, those now to stop or fail, to reconcile),
/// whether the cluster itself is to be saved and reconciled, and the workers the scheduler lost, if any.
/// </summary>
internal sealed record HeartbeatChanges(IReadOnlyList<Worker> ChangedWorkers, bool ClusterChanged, string? LostWorkers);
