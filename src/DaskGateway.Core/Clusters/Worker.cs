using System.Text.Json.Nodes;
using DaskGateway.Backends;

namespace DaskGateway.Clusters;

/// <summary>
/// One worker of a cluster. It owns its transitions, each applied under its cluster's lock
/// (<see cref="Cluster.SyncRoot"/>), which also guards the settable properties; those remain for
/// rebuilding stored records and for the heartbeat code that still applies a heartbeat field by field.
/// </summary>
internal sealed class Worker
{
    public Worker(string name, Cluster cluster, long startTime)
    {
        Name = name;
        Cluster = cluster;
        StartTime = startTime;
    }

    public string Name { get; }

    public Cluster Cluster { get; }

    public long StartTime { get; }

    public JobStatus Status { get; set; } = JobStatus.Created;

    public JobStatus Target { get; set; } = JobStatus.Running;

    /// <summary>What the backend last reported while starting the worker.</summary>
    public JsonObject State { get; set; } = [];

    public long? StopTime { get; set; }

    /// <summary>The scheduler retired this worker on purpose, so its end is not a failure.</summary>
    public bool CloseExpected { get; set; }

    private Lock SyncRoot => Cluster.SyncRoot;

    /// <summary>The status and target, read together.</summary>
    public JobPhase Phase()
    {
        lock (SyncRoot)
        {
            return new JobPhase(Status, Target);
        }
    }

    /// <summary>Records what the backend reported while starting the worker.</summary>
    public void SetState(JsonObject state)
    {
        lock (SyncRoot)
        {
            State = state;
        }
    }

    /// <summary>
    /// The backend's start ended: a worker not yet reported running (by a heartbeat meanwhile) is
    /// SUBMITTED. Returns whether the worker is still wanted (its target is RUNNING).
    /// </summary>
    public bool MarkSubmitted()
    {
        lock (SyncRoot)
        {
            if (Status == JobStatus.Created)
            {
                Status = JobStatus.Submitted;
            }

            return Target == JobStatus.Running;
        }
    }

    /// <summary>The backend's start threw: whatever it started counts as submitted, to be stopped.</summary>
    public void MarkStartAttempted()
    {
        lock (SyncRoot)
        {
            Status = JobStatus.Submitted;
        }
    }

    /// <summary>A wanted worker failed to start: it is to fail, and counts as one more consecutive start failure of its cluster.</summary>
    public bool TryFailStart()
    {
        lock (SyncRoot)
        {
            if (Target != JobStatus.Running)
            {
                return false;
            }

            Target = JobStatus.Failed;
            Cluster.WorkerStartFailures++;
            return true;
        }
    }

    /// <summary>A wanted worker that ran is gone: it is to fail (and be replaced); not a start failure.</summary>
    public bool TryMarkLost()
    {
        lock (SyncRoot)
        {
            if (Target != JobStatus.Running)
            {
                return false;
            }

            Target = JobStatus.Failed;
            return true;
        }
    }

    /// <summary>Asks the worker to stop as expected (its end is not a failure).</summary>
    public void RequestExpectedStop()
    {
        lock (SyncRoot)
        {
            Target = JobStatus.Stopped;
            CloseExpected = true;
        }
    }

    /// <summary>
    /// The backend stopped the worker: it ends as <paramref name="final"/>. Says whether its cluster
    /// should be looked at again: to finish closing, or to replace a worker that ended unexpectedly.
    /// </summary>
    public bool MarkStopped(JobStatus final, long now)
    {
        lock (SyncRoot)
        {
            Status = final;
            StopTime = now;
            var closeCluster = Cluster.Status == JobStatus.Closing && Cluster.AllWorkersStopped;
            var replace = Cluster.Target == JobStatus.Running && !CloseExpected;
            return closeCluster || replace;
        }
    }

    /// <summary>What a backend is told about the worker: a copy, so that later changes do not show through.</summary>
    public WorkerInfo ToInfo(string apiUrl)
    {
        var cluster = Cluster.ToInfo(apiUrl);
        lock (SyncRoot)
        {
            return new WorkerInfo(Name, cluster, (JsonObject)State.DeepClone());
        }
    }
}
