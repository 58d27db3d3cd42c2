namespace DaskGateway.Clusters;

/// <summary>A cluster's status as clients see it (protocol.md §1.4).</summary>
public enum ClusterStatus
{
    /// <summary>Being started: not yet reachable.</summary>
    Pending = 1,

    /// <summary>The scheduler reported in and is reachable through the gateway.</summary>
    Running = 2,

    /// <summary>Asked to stop, not yet stopped.</summary>
    Stopping = 3,

    /// <summary>Stopped as asked.</summary>
    Stopped = 4,

    /// <summary>Ended by a failure.</summary>
    Failed = 5,
}
