using System.Text.Json.Nodes;

namespace DaskGateway.Backends;

/// <summary>What a backend is told about a worker it starts, checks or stops.</summary>
public sealed class WorkerInfo
{
    /// <summary>Creates the description of one worker.</summary>
    public WorkerInfo(string name, ClusterInfo cluster, JsonObject state)
    {
        Name = name;
        Cluster = cluster;
        State = state;
    }

    /// <summary>The worker's name (32 hex digits), given to <c>dask-worker --name</c>.</summary>
    public string Name { get; }

    /// <summary>The cluster the worker belongs to.</summary>
    public ClusterInfo Cluster { get; }

    /// <summary>What the backend last reported while starting the worker (a copy).</summary>
    public JsonObject State { get; }
}
