namespace DaskGateway.Clusters;

/// <summary>The wire names of <see cref="ClusterStatus"/> and how a job status maps to it.</summary>
internal static class ClusterStatusNames
{
    public static string ToWireName(this ClusterStatus status) => status switch
    {
        ClusterStatus.Pending => "PENDING",
        ClusterStatus.Running => "RUNNING",
        ClusterStatus.Stopping => "STOPPING",
        ClusterStatus.Stopped => "STOPPED",
        ClusterStatus.Failed => "FAILED",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static bool TryParse(string name, out ClusterStatus status)
    {
        status = name.Trim().ToUpperInvariant() switch
        {
            "PENDING" => ClusterStatus.Pending,
            "RUNNING" => ClusterStatus.Running,
            "STOPPING" => ClusterStatus.Stopping,
            "STOPPED" => ClusterStatus.Stopped,
            "FAILED" => ClusterStatus.Failed,
            _ => 0,
        };
        return status != 0;
    }

    /// <summary>The mapping of protocol.md §4.1 from (status, target) to what the client sees.</summary>
    public static ClusterStatus ToClusterStatus(JobStatus status, JobStatus target) => status switch
    {
        JobStatus.Stopped => ClusterStatus.Stopped,
        JobStatus.Failed => ClusterStatus.Failed,
        JobStatus.Closing => ClusterStatus.Stopping,
        _ when target >= JobStatus.Closing => ClusterStatus.Stopping,
        JobStatus.Running => ClusterStatus.Running,
        _ => ClusterStatus.Pending,
    };
}
