using System.Text.Json.Nodes;
using DaskGateway.Backends;

namespace DaskGateway.Clusters;

/// <summary>
/// One cluster's record in memory, with its workers. The cluster owns its transitions: each
/// <c>Try…</c>/<c>Mark…</c> method checks and applies one under <see cref="SyncRoot"/> and says what
/// changed. Readers that need a consistent view take a <see cref="Snapshot"/> or <see cref="Phase"/>.
/// </summary>
/// <remarks>
/// The settable properties and <see cref="SyncRoot"/> remain for rebuilding stored records and for
/// the heartbeat code that still applies a heartbeat field by field; new code uses the methods.
/// </remarks>
internal sealed partial class Cluster
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

    public bool AllWorkersStopped
    {
        get
        {
            lock (SyncRoot)
            {
                return Workers.Values.All(w => w.Status >= JobStatus.Stopped);
            }
        }
    }

    /// <summary>The status and target, read together.</summary>
    public JobPhase Phase()
    {
        lock (SyncRoot)
        {
            return new JobPhase(Status, Target);
        }
    }

    public bool TryGetWorker(string workerName, out Worker? worker)
    {
        lock (SyncRoot)
        {
            return Workers.TryGetValue(workerName, out worker);
        }
    }

    /// <summary>Asks an active cluster to end as <paramref name="target"/>; false when it is already stopping or stopped.</summary>
    public bool TryRequestStop(JobStatus target)
    {
        lock (SyncRoot)
        {
            if (!IsActive)
            {
                return false;
            }

            Target = target;
            return true;
        }
    }

    public void SetCredentials(ClusterCredentials credentials)
    {
        lock (SyncRoot)
        {
            Credentials = credentials;
        }
    }

    /// <summary>Records what the backend reported while starting the scheduler.</summary>
    public void SetState(JsonObject state)
    {
        lock (SyncRoot)
        {
            State = state;
        }
    }

    /// <summary>The backend started the scheduler; it has yet to report.</summary>
    public void MarkSubmitted()
    {
        lock (SyncRoot)
        {
            Status = JobStatus.Submitted;
        }
    }

    /// <summary>The backend failed to start the scheduler: whatever it started is stopped as a failure.</summary>
    public void MarkStartFailed()
    {
        lock (SyncRoot)
        {
            Status = JobStatus.Submitted;
            Target = JobStatus.Failed;
        }
    }

    /// <summary>
    /// A submitted cluster whose scheduler has reported its address becomes RUNNING, its routes added
    /// before anyone can see the new status (a client connects as soon as it does). False while no address is known.
    /// </summary>
    public bool TryMarkRunning(long now, IRouteSink? routes)
    {
        lock (SyncRoot)
        {
            if (SchedulerAddress.Length == 0)
            {
                return false;
            }

            Status = JobStatus.Running;
            LastHeartbeat = now;
            routes?.AddClusterRoutes(Name, SchedulerAddress, DashboardAddress);
            return true;
        }
    }

    /// <summary>The scheduler reported (or the gateway adopted the cluster) at <paramref name="now"/>.</summary>
    public void RecordHeartbeat(long now)
    {
        lock (SyncRoot)
        {
            LastHeartbeat = now;
        }
    }

    /// <summary>Takes the count the scheduler accepted; false when the cluster is stopping or the count is unchanged.</summary>
    public bool TryScale(int count)
    {
        lock (SyncRoot)
        {
            if (!IsActive || Count == count)
            {
                return false;
            }

            Count = count;
            return true;
        }
    }

    /// <summary>Creates up to <paramref name="limit"/> of the workers the cluster lacks; says whether more are missing.</summary>
    public (IReadOnlyList<Worker> Created, bool MoreMissing) AddMissingWorkers(int limit, long now)
    {
        lock (SyncRoot)
        {
            var missing = Count - ActiveWorkers.Count();
            List<Worker> created = [];
            for (var i = 0; i < Math.Min(missing, limit); i++)
            {
                var worker = new Worker(Guid.NewGuid().ToString("N"), this, now);
                Workers.Add(worker.Name, worker);
                created.Add(worker);
            }

            return (created, missing > limit);
        }
    }

    /// <summary>Adds a worker rebuilt from the store.</summary>
    public void RestoreWorker(Worker worker)
    {
        lock (SyncRoot)
        {
            Workers[worker.Name] = worker;
        }
    }

    /// <summary>Starts closing: every worker still wanted is asked to stop, as expected; returns those workers.</summary>
    public IReadOnlyList<Worker> BeginClosing()
    {
        lock (SyncRoot)
        {
            List<Worker> stopping = [.. Workers.Values.Where(w => w.Target < JobStatus.Stopped)];
            foreach (var worker in stopping)
            {
                worker.RequestExpectedStop();
            }

            Status = JobStatus.Closing;
            return stopping;
        }
    }

    /// <summary>The scheduler is gone: the cluster ends as <paramref name="final"/> and its routes are removed.</summary>
    public void MarkStopped(JobStatus final, long now, IRouteSink? routes)
    {
        lock (SyncRoot)
        {
            Status = final;
            StopTime = now;
            routes?.RemoveClusterRoutes(Name);
        }
    }

    /// <summary>What a backend is told about the cluster: a copy, so that later changes do not show through.</summary>
    public ClusterInfo ToInfo(string apiUrl)
    {
        lock (SyncRoot)
        {
            return new ClusterInfo(
                Name,
                Username,
                Token,
                Config,
                Credentials?.CertificatePem ?? "",
                Credentials?.PrivateKeyPem ?? "",
                apiUrl,
                SchedulerAddress,
                (JsonObject)State.DeepClone(),
                isStopping: !IsActive);
        }
    }

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

/// <summary>A cluster's or worker's status and target at one moment.</summary>
internal readonly record struct JobPhase(JobStatus Status, JobStatus Target);
