using DaskGateway.Clusters;

namespace DaskGateway.Samples.CustomBackend;

/// <summary>
/// One cluster of the spool backend. Requests and heartbeats arrive concurrently, so its state
/// changes under one lock and the gateway is handed immutable snapshots.
/// </summary>
internal sealed class SpoolCluster
{
    // Bounded, as a scheduler that keeps sending refused heartbeats must not grow it forever.
    private const int MaxEvents = 100;

    private readonly Lock _lock = new();
    private readonly ClusterRequest _request;
    private readonly ClusterCredentials _credentials;
    private readonly long _startTime;
    private readonly List<ClusterEvent> _events = [];
    private ClusterStatus _status = ClusterStatus.Pending;
    private long? _stopTime;
    private string _apiAddress = "";
    private string _schedulerAddress = "";
    private string _dashboardAddress = "";

    public SpoolCluster(string name, ClusterRequest request, string token, ClusterCredentials credentials, long startTime)
    {
        Name = name;
        Token = token;
        _request = request;
        _credentials = credentials;
        _startTime = startTime;
    }

    public string Name { get; }

    public string Username => _request.User.Name;

    public string Token { get; }

    /// <summary>Completed once the cluster is running or no longer active: what <c>?wait</c> waits for.</summary>
    public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Read under the lock only.
    private bool IsActive => _status is ClusterStatus.Pending or ClusterStatus.Running;

    public ClusterState Snapshot()
    {
        lock (_lock)
        {
            var running = _status == ClusterStatus.Running;
            return new ClusterState(
                Name,
                Username,
                _status,
                _request.Options,
                _startTime,
                _stopTime,
                running ? _credentials : null,
                running && _dashboardAddress.Length > 0 ? $"/clusters/{Name}/status" : null,
                IsActive,
                IsReady: _status != ClusterStatus.Pending,
                _request.Config,
                _apiAddress);
        }
    }

    /// <summary>Takes the heartbeat's addresses; true when they changed (and routes must follow), <paramref name="firstOne"/> when it made the cluster running.</summary>
    public bool ApplyHeartbeat(Heartbeat heartbeat, out bool firstOne)
    {
        lock (_lock)
        {
            firstOne = _status == ClusterStatus.Pending;
            if (!IsActive)
            {
                return false;
            }

            var changed = firstOne || _schedulerAddress != heartbeat.SchedulerAddress || _dashboardAddress != heartbeat.DashboardAddress;
            _status = ClusterStatus.Running;
            _schedulerAddress = heartbeat.SchedulerAddress;
            _dashboardAddress = heartbeat.DashboardAddress;
            _apiAddress = heartbeat.ApiAddress;
            Ready.TrySetResult();
            return changed;
        }
    }

    /// <summary>Ends the cluster with <paramref name="status"/>; false when it had already ended.</summary>
    public bool TryStop(ClusterStatus status, long now)
    {
        lock (_lock)
        {
            if (!IsActive)
            {
                return false;
            }

            _status = status;
            _stopTime = now;
            Ready.TrySetResult();
            return true;
        }
    }

    public void AddEvent(long time, string kind, string message)
    {
        lock (_lock)
        {
            if (_events.Count < MaxEvents)
            {
                _events.Add(new ClusterEvent(time, kind, message));
            }
        }
    }

    public IReadOnlyList<ClusterEvent> Events()
    {
        lock (_lock)
        {
            return [.. _events];
        }
    }
}
