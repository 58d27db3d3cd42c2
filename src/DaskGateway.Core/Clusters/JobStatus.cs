namespace DaskGateway.Clusters;

/// <summary>The internal status of a cluster or worker, and its desired target; stored as integers.</summary>
internal enum JobStatus
{
    Created = 1,
    Submitted = 2,
    Running = 3,
    Closing = 4,
    Stopped = 5,
    Failed = 6,
}
