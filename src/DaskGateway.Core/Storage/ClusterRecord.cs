namespace DaskGateway.Storage;

/// <summary>
/// A cluster as stored (protocol.md §4.8). <see cref="Token"/> and the TLS credentials are given
/// and returned in plain text; a durable store encrypts them at rest.
/// </summary>
internal sealed record ClusterRecord(
    string Name,
    string Username,
    int Status,
    int Target,
    int Count,
    string OptionsJson,
    string ConfigClass,
    string ConfigJson,
    string StateJson,
    string Token,
    string? TlsCertificate,
    string? TlsKey,
    string SchedulerAddress,
    string DashboardAddress,
    string ApiAddress,
    long StartTime,
    long? StopTime);

/// <summary>A worker as stored.</summary>
internal sealed record WorkerRecord(
    string Name,
    string ClusterName,
    int Status,
    int Target,
    string StateJson,
    long StartTime,
    long? StopTime,
    bool CloseExpected);

/// <summary>One entry of a cluster's timeline: a state change or a failure reason.</summary>
internal sealed record ClusterEventRecord(string ClusterName, long Time, string Kind, string Message);

/// <summary>Everything a store holds, read once at start.</summary>
internal sealed record StoreContents(
    IReadOnlyList<ClusterRecord> Clusters,
    IReadOnlyList<WorkerRecord> Workers,
    IReadOnlyList<ClusterEventRecord> Events);
