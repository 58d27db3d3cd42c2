using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DaskGateway.Auth;
using DaskGateway.Backends;
using DaskGateway.Security;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Clusters;

/// <summary>
/// The clusters' life cycle as the API sees it: create, list, wait, scale, adapt, stop, and the
/// scheduler's heartbeats. Until a backend starts processes, a cluster becomes RUNNING when its
/// scheduler first heartbeats with its addresses.
/// </summary>
internal sealed partial class ClusterManager : IDisposable
{
    /// <summary>How long <c>GET ...?wait</c> holds a request (protocol.md §1.5).</summary>
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(20);

    private readonly IClusterStore _store;
    private readonly Backend _backend;
    private readonly IClusterConfigFactory _configFactory;
    private readonly ClusterCredentialFactory _credentials;
    private readonly ISchedulerClient _schedulers;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ClusterManager> _logger;
    private readonly CancellationTokenSource _stopping = new();

    public ClusterManager(
        IClusterStore store,
        Backend backend,
        IClusterConfigFactory configFactory,
        ClusterCredentialFactory credentials,
        ISchedulerClient schedulers,
        TimeProvider timeProvider,
        ILogger<ClusterManager> logger)
    {
        _store = store;
        _backend = backend;
        _configFactory = configFactory;
        _credentials = credentials;
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
        _store.Add(cluster);
        LogCreated(cluster.Name, user.Name);
        _ = Task.Run(() => StartAsync(cluster), CancellationToken.None);
        return cluster.Name;
    }

    /// <summary>The user's clusters, by default only the active ones (protocol.md §1.3).</summary>
    public IReadOnlyList<ClusterSnapshot> List(User user, IReadOnlySet<ClusterStatus>? statuses)
    {
        var clusters = _store.ListForUser(user.Name);
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
        if (!_store.TryGet(name, out var cluster))
        {
            return ApiError.NotFound(name);
        }

        if (!MayAccess(user, cluster))
        {
            return ApiError.Forbidden(user.Name, "view", name);
        }

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
    public ApiError? Stop(User? user, string name)
    {
        if (!_store.TryGet(name, out var cluster))
        {
            return null;
        }

        if (user is not null && !MayAccess(user, cluster))
        {
            return ApiError.Forbidden(user.Name, "stop", name);
        }

        RequestStop(cluster, JobStatus.Stopped, user is null ? "stopped by its scheduler" : $"stopped by {user.Name}");
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
        return await ForwardAsync(cluster, body, cancellationToken) ?? (ApiResult<ScaleReply>)reply;
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
        clusterExists = _store.TryGet(name, out var cluster);
        return clusterExists && CryptographicOperations.FixedTimeEquals(
            Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(cluster.Token));
    }

    /// <summary>Handles a scheduler's heartbeat (protocol.md §3.5); unknown or stopping clusters are ignored.</summary>
    public void OnHeartbeat(string name, Heartbeat heartbeat)
    {
        if (!_store.TryGet(name, out var cluster))
        {
            return;
        }

        lock (cluster.SyncRoot)
        {
            if (!cluster.IsActive)
            {
                return;
            }

            cluster.LastHeartbeat = Now();
            if (cluster.Status < JobStatus.Running)
            {
                cluster.SchedulerAddress = heartbeat.SchedulerAddress;
                cluster.DashboardAddress = heartbeat.DashboardAddress;
                cluster.ApiAddress = heartbeat.ApiAddress;
            }

            var count = heartbeat.Count;
            if (cluster.Config.WorkerLimit is { } limit && count > limit)
            {
                count = limit;
            }

            cluster.Count = count;
            Advance(cluster);
        }
    }

    public IReadOnlyList<Cluster> ActiveClusters() => [.. _store.ListAll().Where(c => c.IsActive)];

    /// <summary>Stops every active cluster, as a gateway shutting down does (protocol.md §4.9).</summary>
    public void StopAll(JobStatus target, string reason)
    {
        foreach (var cluster in ActiveClusters())
        {
            RequestStop(cluster, target, reason);
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private async Task StartAsync(Cluster cluster)
    {
        try
        {
            var credentials = await _credentials.CreateAsync(cluster.Name, _stopping.Token);
            lock (cluster.SyncRoot)
            {
                cluster.Credentials = credentials;
                Advance(cluster);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            LogStartFailed(e, cluster.Name);
            RequestStop(cluster, JobStatus.Failed, $"failed to start: {e.Message}");
        }
    }

    /// <summary>Moves a cluster forward as far as what is known allows. Call under the cluster's lock.</summary>
    private void Advance(Cluster cluster)
    {
        if (cluster.Target != JobStatus.Running)
        {
            return;
        }

        if (cluster.Status == JobStatus.Created && cluster.Credentials is not null)
        {
            cluster.Status = JobStatus.Submitted;
        }

        if (cluster.Status == JobStatus.Submitted && cluster.SchedulerAddress.Length > 0)
        {
            cluster.Status = JobStatus.Running;
            cluster.SignalReady();
            LogRunning(cluster.Name, cluster.SchedulerAddress);
        }
    }

    private void RequestStop(Cluster cluster, JobStatus target, string reason)
    {
        lock (cluster.SyncRoot)
        {
            if (!cluster.IsActive)
            {
                return;
            }

            cluster.Target = target;
            cluster.Status = target;
            cluster.StopTime = Now();
            cluster.SignalReady();
        }

        LogStopped(cluster.Name, target, reason);
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

        RequestStop(cluster, JobStatus.Failed, "its scheduler did not accept a scale request after 3 attempts");
        return ApiError.NotRunning(cluster.Name);
    }

    private ApiResult<Cluster> FindForUser(User user, string name, string action)
    {
        if (!_store.TryGet(name, out var cluster))
        {
            return ApiError.NotFound(name);
        }

        return MayAccess(user, cluster) ? cluster : ApiError.Forbidden(user.Name, action, name);
    }

    private static bool MayAccess(User user, Cluster cluster) => user.Admin || user.Name == cluster.Username;

    private static string NewId() => Guid.NewGuid().ToString("N");

    private long Now() => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Created cluster {ClusterName} for user {UserName}")]
    private partial void LogCreated(string clusterName, string userName);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Cluster {ClusterName} is running, scheduler at {SchedulerAddress}")]
    private partial void LogRunning(string clusterName, string schedulerAddress);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Cluster {ClusterName} {Status}: {Reason}")]
    private partial void LogStopped(string clusterName, JobStatus status, string reason);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Error, Message = "Cluster {ClusterName} failed to start")]
    private partial void LogStartFailed(Exception exception, string clusterName);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Error, Message = "Cluster options for user {UserName} could not be made")]
    private partial void LogOptionsFailed(Exception exception, string userName);
}
