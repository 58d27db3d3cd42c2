namespace DaskGateway.Clusters;

/// <summary>The reply to a scale or adapt request: whether it was applied as asked, and why not.</summary>
internal sealed record ScaleReply(bool Ok, string? Message);

/// <summary>An adapt request after validation.</summary>
internal sealed record AdaptRequest(int? Minimum, int? Maximum, bool Active);

/// <summary>What a scheduler reports in its heartbeat (protocol.md §3.5).</summary>
internal sealed record Heartbeat(
    string SchedulerAddress,
    string DashboardAddress,
    string ApiAddress,
    int Count,
    IReadOnlyList<string> ActiveWorkers,
    IReadOnlyList<string> ClosingWorkers,
    IReadOnlyList<string> ClosedWorkers);
