using System.Text.Json.Nodes;

namespace DaskGateway.Clusters;

/// <summary>One worker of a cluster; changed only under its cluster's lock.</summary>
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
}
