namespace DaskGateway.Clusters;

/// <summary>
/// A cluster as its backend knows it at one moment: what clients are shown (the keys of
/// protocol.md §1.4) and what the gateway needs to act on it.
/// </summary>
/// <param name="Name">The cluster's name (unique on this gateway).</param>
/// <param name="Username">The user who owns it.</param>
/// <param name="Status">Its status as clients see it.</param>
/// <param name="Options">The validated options it was created with, keyed by field.</param>
/// <param name="StartTime">When it was created (Unix milliseconds).</param>
/// <param name="StopTime">When it stopped (Unix milliseconds), while it has not: null.</param>
/// <param name="Credentials">Its TLS credentials once running; null before.</param>
/// <param name="DashboardRoute">The path of its dashboard under the gateway (<c>/clusters/{name}/status</c>), when it has one.</param>
/// <param name="IsActive">False once it was asked to stop.</param>
/// <param name="IsReady">Whether a client waiting on it (<c>?wait</c>) should be answered: running and reachable, or no longer active.</param>
/// <param name="Config">The cluster config it was created with (limits, resources).</param>
/// <param name="ApiAddress">Where its scheduler's gateway API listens, once known; else empty.</param>
public sealed record ClusterState(
    string Name,
    string Username,
    ClusterStatus Status,
    IReadOnlyDictionary<string, object?> Options,
    long StartTime,
    long? StopTime,
    ClusterCredentials? Credentials,
    string? DashboardRoute,
    bool IsActive,
    bool IsReady,
    ClusterConfig Config,
    string ApiAddress);
