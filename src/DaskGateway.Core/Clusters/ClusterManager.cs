using System.Security.Cryptography;
using System.Text;
using DaskGateway.Auth;
using DaskGateway.Backends;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Clusters;

/// <summary>
/// The clusters as the API sees them: create, list, wait, scale, adapt, stop, events, and the
/// scheduler's heartbeats. Changes of state are the <see cref="ClusterReconciler"/>'s work.
/// </summary>
internal sealed partial class ClusterManager : IClusterService
{
    /// <summary>How long <c>GET ...?wait</c> holds a request (protocol.md §1.5).</summary>
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(20);

    private readonly ClusterRegistry _registry;
    private readonly ClusterReconciler _reconciler;
    private readonly ClusterRequests _requests;
    private readonly ISchedulerClient _schedulers;
    private readonly TimeProvider _timeProvider;
    private readonly DBBackendBase _backend;
    private readonly ILogger<ClusterManager> _logger;

    public ClusterManager(
        ClusterRegistry registry,
        ClusterReconciler reconciler,
        ClusterRequests requests,
        ISchedulerClient schedulers,
        TimeProvider timeProvider,
        DBBackendBase backend,
        ILogger<ClusterManager> logger)
    {
        _registry = registry;
        _reconciler = reconciler;
        _requests = requests;
        _schedulers = schedulers;
        _timeProvider = timeProvider;
        _backend = backend;
        _logger = logger;
    }

    public Task<ApiResult<Options>> GetOptionsAsync(User user) => _requests.GetOptionsAsync(user);

    /// <summary>Validates the user's options, records the cluster and starts it in the background.</summary>
    public async Task<ApiResult<string>> CreateAsync(User user, object? requestedOptions)
    {
        if (await _backend.GetRefusalReasonAsync(user, CancellationToken.None) is { } refusal)
        {
            return new ApiError(403, refusal);
        }

        var prepared = await _requests.PrepareAsync(user, requestedOptions);
        if (prepared.Error is { } error)
        {
            return error;
        }

        var cluster = new Cluster(NewId(), user.Name, NewId(), prepared.Value!.Options, prepared.Value.Config, Now());
        await _reconciler.AddAsync(cluster);
        return cluster.Name;
    }

    /// <summary>The user's clusters, by default only the active ones (protocol.md §1.3).</summary>
    public IReadOnlyList<ClusterSnapshot> List(User user, IReadOnlySet<ClusterStatus>? statuses)
    {
        var clusters = _registry.ListForUser(user.Name);
        var result = new List<ClusterSnapshot>(clusters.Count);
        foreach (var cluster in clusters)
        {
            var snapshot = cluster.Snapshot();
            if (statuses is null ? snapshot.IsActive : statuses.Contains(snapshot.Status))
            {
                result.Add(snapshot.SeenBy(user));
            }
        }

        return result;
    }

    public async Task<ApiResult<ClusterSnapshot>> GetAsync(User user, string name, bool wait, CancellationToken cancellationToken)
    {
        var found = FindForUser(user, name, "view");
        if (found.Error is { } error)
        {
            return error;
        }

        var cluster = found.Value!;

        if (wait && !cluster.Ready.IsCompleted)
        {
            try
            {
                await cluster.Ready.WaitAsync(WaitTimeout, _timeProvider, cancellationToken);
            }
            catch (TimeoutException)
            {
                // The client polls again; returning the current state is the protocol.
            }
        }

        return cluster.Snapshot().SeenBy(user);
    }

    /// <summary>Stops a cluster on behalf of a user (who must own it) or of its scheduler (<paramref name="user"/> null).</summary>
    public async Task<ApiError?> StopAsync(User? user, string name)
    {
        if (!_registry.TryGet(name, out var cluster))
        {
            return null;
        }

        if (user is not null && !MayAccess(user, cluster))
        {
            return ApiError.Forbidden(user.Name, "stop", name);
        }

        await _reconciler.RequestStopAsync(cluster, JobStatus.Stopped, user is null ? "stopped by its scheduler (idle timeout)" : $"stopped by {user.Name}");
        return null;
    }

    public async Task<ApiResult<ScaleReply>> ScaleAsync(User user, string name, int count, CancellationToken cancellationToken)
    {
        var found = FindForUser(user, name, "view");
        if (found.Error is { } error)
        {
            return error;
        }

        var cluster = found.Value!;
        (count, var reply) = ClusterRequests.LimitScale(cluster.Config, count);
        if (await ForwardAsync(cluster, ClusterRequests.ScaleBody(count), cancellationToken) is { } forwardError)
        {
            return forwardError;
        }

        // The scheduler took the new count: start workers now rather than at its next heartbeat.
        bool changed;
        lock (cluster.SyncRoot)
        {
            changed = cluster.IsActive && cluster.Count != count;
            if (changed)
            {
                cluster.Count = count;
            }
        }

        if (changed)
        {
            await _reconciler.PersistAsync(cluster);
            _reconciler.Enqueue(cluster);
        }

        return reply;
    }

    public async Task<ApiResult<ScaleReply>> AdaptAsync(User user, string name, AdaptRequest request, CancellationToken cancellationToken)
    {
        var found = FindForUser(user, name, "view");
        if (found.Error is { } error)
        {
            return error;
        }

        var (limited, reply) = ClusterRequests.LimitAdapt(found.Value!.Config, request);
        return await ForwardAsync(found.Value!, ClusterRequests.AdaptBody(limited), cancellationToken) ?? (ApiResult<ScaleReply>)reply;
    }

    public ValueTask<ClusterTokenCheck> CheckClusterTokenAsync(string name, string token, CancellationToken cancellationToken) =>
        ValueTask.FromResult(!_registry.TryGet(name, out var cluster) ? ClusterTokenCheck.UnknownCluster
            : CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(cluster.Token)) ? ClusterTokenCheck.Valid
            : ClusterTokenCheck.Invalid);

    /// <summary>The cluster's timeline, for its owner or an admin.</summary>
    public Task<ApiResult<IReadOnlyList<ClusterEvent>>> GetEventsAsync(User user, string name, CancellationToken cancellationToken)
    {
        var found = FindForUser(user, name, "view");
        return Task.FromResult(found.Error is { } error ? error : (ApiResult<IReadOnlyList<ClusterEvent>>)found.Value!.Events().ToList());
    }

    /// <summary>
    /// Handles a scheduler's heartbeat (protocol.md §3.5); unknown or stopping clusters are ignored.
    /// Addresses the backend would not start this cluster's scheduler at refuse the whole heartbeat.
    /// </summary>
    public async Task<ApiError?> OnHeartbeatAsync(string name, Heartbeat heartbeat)
    {
        if (!_registry.TryGet(name, out var cluster))
        {
            return null;
        }

        if (cluster.IsActive && await RefuseAddressesAsync(cluster, heartbeat) is { } refused)
        {
            return refused;
        }

        var changedWorkers = new List<Worker>();
        var enqueueCluster = false;
        var persistCluster = false;
        string? lostWorkers = null;
        lock (cluster.SyncRoot)
        {
            if (!cluster.IsActive)
            {
                return null;
            }

            cluster.LastHeartbeat = Now();
            if (cluster.Status < JobStatus.Running && cluster.SchedulerAddress != heartbeat.SchedulerAddress)
            {
                // Addresses are learned from the first heartbeat (protocol.md §3.5 step 2).
                cluster.SchedulerAddress = heartbeat.SchedulerAddress;
                cluster.DashboardAddress = heartbeat.DashboardAddress;
                cluster.ApiAddress = heartbeat.ApiAddress;
                enqueueCluster = persistCluster = true;
            }

            var count = Math.Min(heartbeat.Count, cluster.Config.WorkerLimit);
            if (count != cluster.Count)
            {
                cluster.Count = count;
                enqueueCluster = persistCluster = true;
            }

            var active = heartbeat.ActiveWorkers.ToHashSet(StringComparer.Ordinal);
            var closing = heartbeat.ClosingWorkers.ToHashSet(StringComparer.Ordinal);
            var closed = heartbeat.ClosedWorkers.ToHashSet(StringComparer.Ordinal);
            var pending = new List<Worker>();
            var lost = new List<string>();
            foreach (var worker in cluster.Workers.Values.Where(w => w.Status < JobStatus.Stopped))
            {
                if (closing.Contains(worker.Name))
                {
                    if (worker.Status != JobStatus.Running || !worker.CloseExpected)
                    {
                        worker.Status = JobStatus.Running;
                        worker.CloseExpected = true;
                        changedWorkers.Add(worker);
                    }
                }
                else if (active.Contains(worker.Name))
                {
                    if (worker.Status != JobStatus.Running)
                    {
                        worker.Status = JobStatus.Running;
                        cluster.WorkerStartFailures = 0;
                        changedWorkers.Add(worker);
                    }
                }
                else if (closed.Contains(worker.Name))
                {
                    if (worker.Target < JobStatus.Stopped)
                    {
                        worker.Target = worker.CloseExpected ? JobStatus.Stopped : JobStatus.Failed;
                        changedWorkers.Add(worker);
                    }
                }
                else if (worker.Status == JobStatus.Running && worker.Target == JobStatus.Running)
                {
                    // Upstream asserts here and answers 500 (protocol.md §12.9): a worker we saw running
                    // that the scheduler no longer knows at all. It is gone; replace it.
                    worker.Target = JobStatus.Failed;
                    changedWorkers.Add(worker);
                    lost.Add(worker.Name);
                }
                else if (worker.Status < JobStatus.Running && worker.Target == JobStatus.Running)
                {
                    pending.Add(worker);
                }
            }

            // Trim pending workers the scheduler no longer needs, those not yet submitted first.
            var surplus = active.Count + pending.Count - cluster.Count;
            foreach (var worker in pending.OrderBy(w => w.Status).Take(Math.Max(surplus, 0)))
            {
                worker.Target = JobStatus.Stopped;
                worker.CloseExpected = true;
                changedWorkers.Add(worker);
            }

            if (lost.Count > 0)
            {
                lostWorkers = string.Join(", ", lost);
            }
        }

        foreach (var worker in changedWorkers.Distinct())
        {
            await _reconciler.PersistAsync(worker);
            if (worker.Target >= JobStatus.Stopped)
            {
                _reconciler.Enqueue(worker);
            }
        }

        if (lostWorkers is not null)
        {
            await _reconciler.PersistAsync(cluster, "worker-lost", $"the scheduler no longer reports worker(s) {lostWorkers}; replacing them");
        }
        else if (persistCluster)
        {
            await _reconciler.PersistAsync(cluster);
        }

        if (enqueueCluster || changedWorkers.Count > 0)
        {
            _reconciler.Enqueue(cluster);
        }

        return null;
    }

    /// <summary>
    /// The 422 for a heartbeat whose addresses are malformed or on a host the backend does not run
    /// this cluster's scheduler on; null when they are acceptable. The reason goes into the
    /// cluster's events once, not again for each repetition of the same heartbeat.
    /// </summary>
    private async Task<ApiError?> RefuseAddressesAsync(Cluster cluster, Heartbeat heartbeat)
    {
        var info = _reconciler.ToInfo(cluster);
        if (SchedulerAddress.FindProblem(heartbeat, host => _backend.IsSchedulerHost(info, host)) is not { } problem)
        {
            return null;
        }

        LogAddressesRefused(cluster.Name, problem);
        var events = cluster.Events();
        if (events.Count == 0 || events[^1] is not { Kind: SchedulerAddress.RefusedEventKind } last || last.Message != problem)
        {
            await _reconciler.PersistAsync(cluster, SchedulerAddress.RefusedEventKind, problem);
        }

        return ApiError.Unprocessable(problem);
    }

    private async Task<ApiError?> ForwardAsync(Cluster cluster, string body, CancellationToken cancellationToken)
    {
        string apiAddress;
        lock (cluster.SyncRoot)
        {
            if (cluster.Status != JobStatus.Running || !cluster.IsActive)
            {
                return ApiError.NotRunning(cluster.Name);
            }

            apiAddress = cluster.ApiAddress;
        }

        if (await _schedulers.SendAsync(apiAddress, cluster.Token, body, cancellationToken))
        {
            return null;
        }

        await _reconciler.RequestStopAsync(cluster, JobStatus.Failed, "the scheduler did not accept a scale or adapt request after 3 attempts");
        return ApiError.NotRunning(cluster.Name);
    }

    private ApiResult<Cluster> FindForUser(User user, string name, string action)
    {
        if (!_registry.TryGet(name, out var cluster))
        {
            return ApiError.NotFound(name);
        }

        return MayAccess(user, cluster) ? cluster : ApiError.Forbidden(user.Name, action, name);
    }

    private static bool MayAccess(User user, Cluster cluster) => user.Admin || user.Name == cluster.Username;

    private static string NewId() => Guid.NewGuid().ToString("N");

    private long Now() => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = 1130, Level = LogLevel.Warning, Message = "Refused a heartbeat of cluster {ClusterName}: {Problem}")]
    private partial void LogAddressesRefused(string clusterName, string problem);

}
