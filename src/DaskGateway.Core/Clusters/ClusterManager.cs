using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DaskGateway.Auth;
using DaskGateway.Backends;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Clusters;

/// <summary>
/// The clusters as the API sees them: create, list, wait, scale, adapt, stop, events, and the
/// scheduler's heartbeats. Changes of state are the <see cref="ClusterReconciler"/>'s work.
/// </summary>
internal sealed partial class ClusterManager
{
    /// <summary>How long <c>GET ...?wait</c> holds a request (protocol.md §1.5).</summary>
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(20);

    private readonly ClusterRegistry _registry;
    private readonly ClusterReconciler _reconciler;
    private readonly Backend _backend;
    private readonly IClusterConfigFactory _configFactory;
    private readonly ISchedulerClient _schedulers;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ClusterManager> _logger;

    public ClusterManager(
        ClusterRegistry registry,
        ClusterReconciler reconciler,
        Backend backend,
        IClusterConfigFactory configFactory,
        ISchedulerClient schedulers,
        TimeProvider timeProvider,
        ILogger<ClusterManager> logger)
    {
        _registry = registry;
        _reconciler = reconciler;
        _backend = backend;
        _configFactory = configFactory;
        _schedulers = schedulers;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public async Task<ApiResult<Options>> GetOptionsAsync(User user)
    {
        try
        {
            return await _backend.ClusterOptions.GetAsync(user);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogOptionsFailed(e, user.Name);
            return ApiError.Unprocessable($"Failed to get cluster options: {e.Message}");
        }
    }

    /// <summary>Validates the user's options, records the cluster and starts it in the background.</summary>
    public async Task<ApiResult<string>> CreateAsync(User user, object? requestedOptions)
    {
        var options = await GetOptionsAsync(user);
        if (options.Error is { } optionsError)
        {
            return optionsError;
        }

        IReadOnlyDictionary<string, object?> parsed;
        ClusterConfig config;
        try
        {
            parsed = options.Value!.Parse(requestedOptions);
            var overrides = options.Value.GetConfiguration(parsed, user);
            config = _configFactory.Create(_backend.ClusterConfigClass, overrides, out var errors);
            var problems = errors.Concat(config.Validate()).ToList();
            if (problems.Count > 0)
            {
                return ApiError.Unprocessable(string.Join("; ", problems));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // As upstream: anything that goes wrong turning options into a config is the request's fault (422).
            return ApiError.Unprocessable(e.Message);
        }

        var cluster = new Cluster(NewId(), user.Name, NewId(), parsed, config, Now());
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
                result.Add(snapshot);
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

        return cluster.Snapshot();
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
        var reply = new ScaleReply(true, null);
        if (cluster.Config.WorkerLimit is { } limit && count > limit)
        {
            reply = new ScaleReply(false, $"Scale request of {count} workers would exceed resource limit of {limit} workers. Scaling to {limit} instead.");
            count = limit;
        }

        var body = JsonSerializer.Serialize(new Dictionary<string, object> { ["op"] = "scale", ["count"] = count });
        if (await ForwardAsync(cluster, body, cancellationToken) is { } forwardError)
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

        var cluster = found.Value!;
        var (minimum, maximum) = (request.Minimum, request.Maximum);
        var reply = new ScaleReply(true, null);
        if (cluster.Config.WorkerLimit is { } limit)
        {
            var requestedMax = maximum ?? limit;
            var requestedMin = minimum ?? 0;
            (maximum, minimum) = (requestedMax, requestedMin);
            if (requestedMax > limit || requestedMin > limit)
            {
                (maximum, minimum) = (Math.Min(requestedMax, limit), Math.Min(requestedMin, limit));
                reply = new ScaleReply(false, string.Create(
                    CultureInfo.InvariantCulture,
                    $"Adapt with `maximum={requestedMax}, minimum={requestedMin}` workers would exceed resource limit of {limit} workers. Using `maximum={maximum}, minimum={minimum}` instead."));
            }
        }

        var body = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["op"] = "adapt",
            ["minimum"] = minimum,
            ["maximum"] = maximum,
            ["active"] = request.Active,
        });
        return await ForwardAsync(cluster, body, cancellationToken) ?? (ApiResult<ScaleReply>)reply;
    }

    /// <summary>True when <paramref name="token"/> is the cluster's API token (compared in constant time).</summary>
    public bool IsClusterToken(string name, string token, out bool clusterExists)
    {
        clusterExists = _registry.TryGet(name, out var cluster);
        return clusterExists && CryptographicOperations.FixedTimeEquals(
            Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(cluster.Token));
    }

    /// <summary>The cluster's timeline, for its owner or an admin.</summary>
    public ApiResult<IReadOnlyList<ClusterEvent>> GetEvents(User user, string name)
    {
        var found = FindForUser(user, name, "view");
        return found.Error is { } error ? error : (ApiResult<IReadOnlyList<ClusterEvent>>)found.Value!.Events().ToList();
    }

    /// <summary>Handles a scheduler's heartbeat (protocol.md §3.5); unknown or stopping clusters are ignored.</summary>
    public async Task OnHeartbeatAsync(string name, Heartbeat heartbeat)
    {
        if (!_registry.TryGet(name, out var cluster))
        {
            return;
        }

        var changedWorkers = new List<Worker>();
        var enqueueCluster = false;
        var persistCluster = false;
        string? lostWorkers = null;
        lock (cluster.SyncRoot)
        {
            if (!cluster.IsActive)
            {
                return;
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

            var count = Math.Min(heartbeat.Count, cluster.Config.WorkerLimit ?? int.MaxValue);
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

    [LoggerMessage(EventId = 1104, Level = LogLevel.Error, Message = "Cluster options for user {UserName} could not be made")]
    private partial void LogOptionsFailed(Exception exception, string userName);
}
