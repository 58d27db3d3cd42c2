namespace DaskGateway.Clusters;

/// <summary>What a scheduler reports in its heartbeat (protocol.md §3.5), after validation.</summary>
/// <param name="SchedulerAddress">Where the scheduler listens for clients (<c>tls://host:port</c>).</param>
/// <param name="DashboardAddress">Where its dashboard listens (<c>http://host:port</c>), or empty.</param>
/// <param name="ApiAddress">Where its gateway API listens (<c>http://host:port</c>).</param>
/// <param name="Count">The number of workers the scheduler wants (already within the cluster's limit).</param>
/// <param name="ActiveWorkers">Workers connected to the scheduler.</param>
/// <param name="ClosingWorkers">Workers the scheduler is retiring.</param>
/// <param name="ClosedWorkers">Workers that left since the last heartbeat.</param>
public sealed record Heartbeat(
    string SchedulerAddress,
    string DashboardAddress,
    string ApiAddress,
    int Count,
    IReadOnlyList<string> ActiveWorkers,
    IReadOnlyList<string> ClosingWorkers,
    IReadOnlyList<string> ClosedWorkers)
{
    /// <summary>
    /// The number of Dask clients connected to the scheduler (the optional <c>client_count</c>
    /// key); null when the preload does not report it (upstream's preload).
    /// </summary>
    public int? ClientCount { get; init; }
}
