using System.Text.Json.Nodes;

namespace DaskGateway.Clusters;

/// <summary>
/// One cluster's record in memory, with its workers. Mutable fields are changed only under
/// <see cref="SyncRoot"/>; readers that need a consistent view take a <see cref="Snapshot"/>.
/// </summary>
internal sealed class Cluster
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<ClusterEvent> _events = [];

    public Cluster(string name, string username, string token, IReadOnlyDictionary<string, object?> options, ClusterConfig config, long startTime)
    {
        Name = name;
        Username = username;
        Token = token;
        Options = options;
        Config = config;
        StartTime = startTime;
    }

    public Lock SyncRoot { get; } = new();

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

    /// <summary>The number of workers the scheduler wants.</summary>
    public int Count { get; set; }

    public ClusterCredentials? Credentials { get; set; }

    public string SchedulerAddress { get; set; } = "";

    public string DashboardAddress { get; set; } = "";

    public string ApiAddress { get; set; } = "";

    public long? StopTime { get; set; }

    /// <summary>What the backend last reported while starting the scheduler.</summary>
    public JsonObject State { get; set; } = [];

    /// <summary>When the scheduler last reported (ms); kept in memory only.</summary>
    public long LastHeartbeat { get; set; }

    /// <summary>Consecutive worker start failures; a running worker resets it.</summary>
    public int WorkerStartFailures { get; set; }

    public Dictionary<string, Worker> Workers { get; } = new(StringComparer.Ordinal);

    /// <summary>True while the cluster has not been asked to stop (protocol.md §4.1).</summary>
    public bool IsActive => Target < JobStatus.Stopped;

    /// <summary>Completes when a waiting client should look again: RUNNING, stopping or stopped.</summary>
    public Task Ready => _ready.Task;

    public void SignalReady() => _ready.TrySetResult();

    /// <summary>Workers that are running or on their way (their target is RUNNING).</summary>
    public IEnumerable<Worker> ActiveWorkers => Workers.Values.Where(w => w.Target == JobStatus.Running && w.Status < JobStatus.Stopped);

    public bool AllWorkersStopped => Workers.Values.All(w => w.Status >= JobStatus.Stopped);

    /// <summary>Adds an event, its message cut to <see cref="ClusterEventLimits.MaxMessageLength"/>, keeping the first and the latest events.</summary>
    public void AddEvent(ClusterEvent clusterEvent)
    {
        ArgumentNullException.ThrowIfNull(clusterEvent);
        clusterEvent = clusterEvent with { Message = ClusterEventLimits.Truncate(clusterEvent.Message) };
        lock (_events)
        {
            if (_events.Count >= ClusterEventLimits.MaxEvents)
            {
                _events.RemoveAt(ClusterEventLimits.KeptFirst);
            }

            _events.Add(clusterEvent);
        }
    }

    public IReadOnlyList<ClusterEvent> Events()
    {
        lock (_events)
        {
            return [.. _events];
        }
    }

    public ClusterState Snapshot()
    {
        lock (SyncRoot)
        {
            return new ClusterState(
                Name,
                Username,
                ClusterStatusNames.ToClusterStatus(Status, Target),
                Options,
                StartTime,
                StopTime,
                Status == JobStatus.Running ? Credentials : null,
                Status == JobStatus.Running && DashboardAddress.Length > 0 ? $"/clusters/{Name}/status" : null,
                IsActive,
                Ready.IsCompleted,
                Config,
                ApiAddress);
        }
    }
}
