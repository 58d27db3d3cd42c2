using DaskGateway.Security;

namespace DaskGateway.Clusters;

/// <summary>
/// One cluster's record. Mutable fields are changed only under <see cref="SyncRoot"/> by the
/// <see cref="ClusterManager"/>; readers take a <see cref="Snapshot"/>.
/// </summary>
internal sealed class Cluster
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Cluster(string name, string username, string token, IReadOnlyDictionary<string, object?> options, ClusterConfig config, long startTime)
    {
        Name = name;
        Username = username;
        Token = token;
        Options = options;
        Config = config;
        StartTime = startTime;
    }

    public object SyncRoot { get; } = new();

    public string Name { get; }

    public string Username { get; }

    /// <summary>The API token shared with the scheduler; never shown to the user.</summary>
    public string Token { get; }

    /// <summary>The validated options keyed by field, shown to the user.</summary>
    public IReadOnlyDictionary<string, object?> Options { get; }

    public ClusterConfig Config { get; }

    public long StartTime { get; }

    public JobStatus Status { get; set; } = JobStatus.Created;

    public JobStatus Target { get; set; } = JobStatus.Running;

    public int Count { get; set; }

    public ClusterCredentials? Credentials { get; set; }

    public string SchedulerAddress { get; set; } = "";

    public string DashboardAddress { get; set; } = "";

    public string ApiAddress { get; set; } = "";

    public long? StopTime { get; set; }

    public long LastHeartbeat { get; set; }

    /// <summary>True while the cluster has not been asked to stop (protocol.md §4.1).</summary>
    public bool IsActive => Target < JobStatus.Stopped;

    /// <summary>Completes when a waiting client should look again: RUNNING, stopping or stopped.</summary>
    public Task Ready => _ready.Task;

    public void SignalReady() => _ready.TrySetResult();

    public ClusterSnapshot Snapshot()
    {
        lock (SyncRoot)
        {
            return new ClusterSnapshot(
                Name,
                Username,
                ClusterStatusNames.ToClusterStatus(Status, Target),
                Options,
                StartTime,
                StopTime,
                Status == JobStatus.Running ? Credentials : null,
                Status == JobStatus.Running && DashboardAddress.Length > 0 ? $"/clusters/{Name}/status" : null,
                IsActive);
        }
    }
}

/// <summary>What clients see of a cluster at one moment (the eight keys of protocol.md §1.4, plus whether it is active).</summary>
internal sealed record ClusterSnapshot(
    string Name,
    string Username,
    ClusterStatus Status,
    IReadOnlyDictionary<string, object?> Options,
    long StartTime,
    long? StopTime,
    ClusterCredentials? Credentials,
    string? DashboardRoute,
    bool IsActive);
