namespace DaskGateway.Clusters;

/// <summary>One entry of a cluster's timeline (<c>GET /api/v1/clusters/{name}/events</c>).</summary>
/// <param name="Time">Unix time in milliseconds.</param>
/// <param name="Kind">A short machine-readable kind, for example <c>created</c>, <c>running</c>, <c>failed</c>.</param>
/// <param name="Message">What happened, for people.</param>
public sealed record ClusterEvent(long Time, string Kind, string Message);
