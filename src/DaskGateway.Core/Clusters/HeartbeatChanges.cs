namespace DaskGateway.Clusters;

/// <summary>What a heartbeat changed of a database-backed cluster: what to persist and reconcile.</summary>
/// <param name="Workers">Workers whose records changed.</param>
/// <param name="ClusterChanged">The cluster's record changed (addresses learned, or the worker count).</param>
/// <param name="LostWorkers">Workers the scheduler no longer knows at all, for the cluster's events; null when none.</param>
internal sealed record HeartbeatChanges(IReadOnlyList<Worker> Workers, bool ClusterChanged, string? LostWorkers)
{
    private static readonly HeartbeatChanges None = new([], false, null);

    /// <summary>Applies a heartbeat of an active cluster (protocol.md §3.5) to it and its workers.</summary>
    public static HeartbeatChanges Apply(Cluster cluster, Heartbeat heartbeat, long now)
    {
        var changedWorkers = new List<Worker>();
        var clusterChanged = false;
        lock (cluster.SyncRoot)
        {
            if (!cluster.IsActive)
            {
                return None;
            }

            cluster.LastHeartbeat = now;
            if (cluster.Status < JobStatus.Running && cluster.SchedulerAddress != heartbeat.SchedulerAddress)
            {
                // Addresses are learned from the first heartbeat (protocol.md §3.5 step 2).
                cluster.SchedulerAddress = heartbeat.SchedulerAddress;
                cluster.DashboardAddress = heartbeat.DashboardAddress;
                cluster.ApiAddress = heartbeat.ApiAddress;
                clusterChanged = true;
            }

            if (heartbeat.Count != cluster.Count)
            {
                cluster.Count = heartbeat.Count;
                clusterChanged = true;
            }

            var active = heartbeat.ActiveWorkers.ToHashSet(StringComparer.Ordinal);
            var closing = heartbeat.ClosingWorkers.ToHashSet(StringComparer.Ordinal);
            var closed = heartbeat.ClosedWorkers.ToHashSet(StringComparer.Ordinal);
            var pending = new List<Worker>();
            var lost = new List<string>();
            foreach (var worker in cluster.Workers.Values.Where(w => w.Status < JobStatus.Stopped))
            {
                if (closing.Contains(worker.Name))
                {
                    if (worker.Status != JobStatus.Running || !worker.CloseExpected)
                    {
                        worker.Status = JobStatus.Running;
                        worker.CloseExpected = true;
                        changedWorkers.Add(worker);
                    }
                }
                else if (active.Contains(worker.Name))
                {
                    if (worker.Status != JobStatus.Running)
                    {
                        worker.Status = JobStatus.Running;
                        cluster.WorkerStartFailures = 0;
                        changedWorkers.Add(worker);
                    }
                }
                else if (closed.Contains(worker.Name))
                {
                    if (worker.Target < JobStatus.Stopped)
                    {
                        worker.Target = worker.CloseExpected ? JobStatus.Stopped : JobStatus.Failed;
                        changedWorkers.Add(worker);
                    }
                }
                else if (worker.Status == JobStatus.Running && worker.Target == JobStatus.Running)
                {
                    // Upstream asserts here and answers 500 (protocol.md §12.9): a worker we saw running
                    // that the scheduler no longer knows at all. It is gone; replace it.
                    worker.Target = JobStatus.Failed;
                    changedWorkers.Add(worker);
                    lost.Add(worker.Name);
                }
                else if (worker.Status < JobStatus.Running && worker.Target == JobStatus.Running)
                {
                    pending.Add(worker);
                }
            }

            // Trim pending workers the scheduler no longer needs, those not yet submitted first.
            var surplus = active.Count + pending.Count - cluster.Count;
            foreach (var worker in pending.OrderBy(w => w.Status).Take(Math.Max(surplus, 0)))
            {
                worker.Target = JobStatus.Stopped;
                worker.CloseExpected = true;
                changedWorkers.Add(worker);
            }

            return new HeartbeatChanges([.. changedWorkers.Distinct()], clusterChanged, lost.Count > 0 ? string.Join(", ", lost) : null);
        }
    }
}
