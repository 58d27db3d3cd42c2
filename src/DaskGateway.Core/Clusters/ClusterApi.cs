using System.Security.Cryptography;
using System.Text;
using DaskGateway.Auth;
using DaskGateway.Backends;
using DaskGateway.Logging;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Clusters;

/// <summary>
/// The cluster policy of protocol.md §1 and §3.5, written once for every backend: who may see and
/// change which cluster, options and limits, <c>?wait</c>, forwarding scale and adapt requests to
/// the scheduler, token and heartbeat-address checks. The backend's <see cref="IClusterSource"/>
/// keeps the state and carries out what is decided here.
/// </summary>
internal sealed partial class ClusterApi
{
    /// <summary>How long <c>GET ...?wait</c> holds a request (protocol.md §1.5).</summary>
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The kind of the event recorded when an admin scales or adapts another user's cluster.</summary>
    public const string AdminActionEventKind = "admin-action";

    private readonly IClusterSource _source;
    private readonly ClusterRequests _requests;
    private readonly Backend _backend;
    private readonly ISchedulerClient _schedulers;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ClusterApi> _logger;
    private readonly ClusterLifetimes _lifetimes;

    public ClusterApi(IClusterSource source, ClusterRequests requests, Backend backend, ISchedulerClient schedulers, TimeProvider timeProvider, ILogger<ClusterApi> logger, ClusterLifetimes lifetimes)
    {
        _lifetimes = lifetimes;
        _source = source;
        _requests = requests;
        _backend = backend;
        _schedulers = schedulers;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>The cluster options this user may set.</summary>
    public Task<ClusterResult<Options>> GetOptionsAsync(User user) => _requests.GetOptionsAsync(user);

    /// <summary>Validates the user's options and has the backend create the cluster, returning its name.</summary>
    public async Task<ClusterResult<string>> CreateAsync(User user, object? requestedOptions, CancellationToken cancellationToken)
    {
        if (await _backend.GetRefusalReasonAsync(user, cancellationToken) is { } refusal)
        {
            return new ClusterError(ClusterErrorKind.Forbidden, refusal);
        }

        var prepared = await _requests.PrepareAsync(user, requestedOptions);
        if (prepared.Error is { } error)
        {
            return error;
        }

        return await _source.CreateAsync(new ClusterRequest(user, prepared.Value!.Options, prepared.Value.Config), cancellationToken);
    }

    /// <summary>
    /// The user's clusters with one of <paramref name="statuses"/>, by default only the active ones
    /// (protocol.md §1.3); with <paramref name="allUsers"/>, every user's, for admins only.
    /// </summary>
    public ClusterResult<IReadOnlyList<ClusterState>> List(User user, IReadOnlySet<ClusterStatus>? statuses, bool allUsers = false)
    {
        if (allUsers && !user.Admin)
        {
            return new ClusterError(ClusterErrorKind.Forbidden, $"User {user.Name} is not an admin: only admins may list every user's clusters");
        }

        var clusters = _source.List(allUsers ? null : user.Name);
        var result = new List<ClusterState>(clusters.Count);
        foreach (var cluster in clusters)
        {
            if (statuses is null ? cluster.IsActive : statuses.Contains(cluster.Status))
            {
                result.Add(cluster.SeenBy(user));
            }
        }

        return new ClusterResult<IReadOnlyList<ClusterState>>(result, null);
    }

    /// <summary>One cluster; with <paramref name="wait"/>, held until it is ready or stopping, or <see cref="WaitTimeout"/> passes.</summary>
    public async Task<ClusterResult<ClusterState>> GetAsync(User user, string name, bool wait, CancellationToken cancellationToken)
    {
        var found = await FindForUserAsync(user, name, "view", cancellationToken);
        if (found.Error is { } error)
        {
            return error;
        }

        var cluster = found.Value!;
        if (wait && !cluster.IsReady)
        {
            await WaitUntilReadyAsync(name, cancellationToken);
            cluster = await _source.FindAsync(name, cancellationToken) ?? cluster;
        }

        return cluster.SeenBy(user);
    }

    /// <summary>Stops a cluster on behalf of its owner or an admin; stopping a cluster that is gone or stopping is no error.</summary>
    public async Task<ClusterError?> StopAsync(User user, string name, CancellationToken cancellationToken)
    {
        var cluster = await _source.FindAsync(name, cancellationToken);
        if (cluster is null)
        {
            return null;
        }

        if (!MayAccess(user, cluster))
        {
            return ClusterError.Forbidden(user.Name, "stop", name);
        }

        return cluster.IsActive ? await _source.StopAsync(cluster, $"stopped by {Actor(user, cluster)}", cancellationToken) : null;
    }

    /// <summary>Stops a cluster on behalf of its scheduler (idle timeout), whose token was checked.</summary>
    public async Task<ClusterError?> StopBySchedulerAsync(string name, CancellationToken cancellationToken)
    {
        var cluster = await _source.FindAsync(name, cancellationToken);
        return cluster is { IsActive: true } ? await _source.StopAsync(cluster, "stopped by its scheduler (idle timeout)", cancellationToken) : null;
    }

    /// <summary>Forwards a scale request within the cluster's limit to its scheduler, then has the backend start or stop workers.</summary>
    public async Task<ClusterResult<ScaleReply>> ScaleAsync(User user, string name, int count, CancellationToken cancellationToken)
    {
        var found = await FindForUserAsync(user, name, "view", cancellationToken);
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

        await RecordAdminActionAsync(user, cluster, $"scaled to {count} workers", cancellationToken);
        return await _source.SetWorkerCountAsync(cluster, count, cancellationToken) is { } countError ? countError : reply;
    }

    /// <summary>Forwards an adapt request within the cluster's limit to its scheduler.</summary>
    public async Task<ClusterResult<ScaleReply>> AdaptAsync(User user, string name, AdaptRequest request, CancellationToken cancellationToken)
    {
        var found = await FindForUserAsync(user, name, "view", cancellationToken);
        if (found.Error is { } error)
        {
            return error;
        }

        var (limited, reply) = ClusterRequests.LimitAdapt(found.Value!.Config, request);
        if (await ForwardAsync(found.Value!, ClusterRequests.AdaptBody(limited), cancellationToken) is { } forwardError)
        {
            return forwardError;
        }

        await RecordAdminActionAsync(user, found.Value!, "set to adapt", cancellationToken);
        return reply;
    }

    /// <summary>Whether <paramref name="token"/> is the cluster's API token (compared in constant time).</summary>
    public async ValueTask<ClusterTokenCheck> CheckClusterTokenAsync(string name, string token, CancellationToken cancellationToken)
    {
        var cluster = await _source.FindAsync(name, cancellationToken);
        if (cluster is null)
        {
            return ClusterTokenCheck.UnknownCluster;
        }

        var expected = await _source.GetTokenAsync(cluster, cancellationToken);
        return expected is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(expected))
            ? ClusterTokenCheck.Valid
            : ClusterTokenCheck.Invalid;
    }

    /// <summary>The cluster's timeline, for its owner or an admin.</summary>
    public async Task<ClusterResult<IReadOnlyList<ClusterEvent>>> GetEventsAsync(User user, string name, CancellationToken cancellationToken)
    {
        var found = await FindForUserAsync(user, name, "view", cancellationToken);
        if (found.Error is { } error)
        {
            return error;
        }

        return new ClusterResult<IReadOnlyList<ClusterEvent>>(await _source.GetEventsAsync(found.Value!, cancellationToken), null);
    }

    /// <summary>
    /// Handles a heartbeat whose token was checked (protocol.md §3.5); clusters that are gone or
    /// stopping are ignored. Addresses the backend would not start this cluster's scheduler at
    /// refuse the whole heartbeat (422); the reason goes into the cluster's events once, not again
    /// for each repetition of the same heartbeat.
    /// </summary>
    public async Task<ClusterError?> OnHeartbeatAsync(string name, Heartbeat heartbeat, CancellationToken cancellationToken)
    {
        var cluster = await _source.FindAsync(name, cancellationToken);
        if (cluster is not { IsActive: true })
        {
            return null;
        }

        if (SchedulerAddress.FindProblem(heartbeat, host => _source.IsSchedulerHost(cluster, host)) is { } problem)
        {
            LogAddressesRefused(name, problem);
            var events = await _source.GetEventsAsync(cluster, cancellationToken);
            if (events.Count == 0 || events[^1] is not { Kind: SchedulerAddress.RefusedEventKind } last || last.Message != problem)
            {
                await _source.RecordEventAsync(cluster, SchedulerAddress.RefusedEventKind, problem, cancellationToken);
            }

            return ClusterError.Invalid(problem);
        }

        var limited = heartbeat with { Count = Math.Min(heartbeat.Count, cluster.Config.WorkerLimit) };
        await _source.OnHeartbeatAsync(cluster, limited, cancellationToken);
        _lifetimes.OnHeartbeat(cluster, limited);
        return null;
    }

    private async Task WaitUntilReadyAsync(string name, CancellationToken cancellationToken)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ready = _source.WaitUntilReadyAsync(name, waiting.Token);
        try
        {
            await ready.WaitAsync(WaitTimeout, _timeProvider, cancellationToken);
        }
        catch (TimeoutException)
        {
            // The client polls again; returning the current state is the protocol.
        }
        finally
        {
            await waiting.CancelAsync();
            await ready.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task<ClusterError?> ForwardAsync(ClusterState cluster, string body, CancellationToken cancellationToken)
    {
        if (cluster.Status != ClusterStatus.Running || !cluster.IsActive || cluster.ApiAddress.Length == 0
            || await _source.GetTokenAsync(cluster, cancellationToken) is not { } token)
        {
            return ClusterError.NotRunning(cluster.Name);
        }

        if (await _schedulers.SendAsync(cluster.ApiAddress, token, body, cancellationToken))
        {
            return null;
        }

        // protocol.md §3.6: on every backend the answer is upstream's 409, which the client raises as GatewayClusterError.
        await _source.OnSchedulerUnreachableAsync(cluster, cancellationToken);
        return ClusterError.NotRunning(cluster.Name);
    }

    private async Task<ClusterResult<ClusterState>> FindForUserAsync(User user, string name, string action, CancellationToken cancellationToken)
    {
        var cluster = await _source.FindAsync(name, cancellationToken);
        if (cluster is null)
        {
            return ClusterError.NotFound(name);
        }

        return MayAccess(user, cluster) ? cluster : ClusterError.Forbidden(user.Name, action, name);
    }

    private static bool MayAccess(User user, ClusterState cluster) => user.Admin || user.Name == cluster.Username;

    /// <summary>Who acted, as the cluster's events say it: an admin acting on another user's cluster is named as one.</summary>
    private static string Actor(User user, ClusterState cluster) => user.Name == cluster.Username ? user.Name : $"admin {user.Name}";

    // The owner's own scaling is the scheduler's business and shows in its heartbeats; an admin's
    // action on someone else's cluster is recorded, so that the owner can see who changed it.
    private async Task RecordAdminActionAsync(User user, ClusterState cluster, string action, CancellationToken cancellationToken)
    {
        if (user.Name != cluster.Username)
        {
            await _source.RecordEventAsync(cluster, AdminActionEventKind, $"{action} by {Actor(user, cluster)}", cancellationToken);
        }
    }

    [LoggerMessage(EventId = GatewayEventIds.ClusterApiAddressesRefused, Level = LogLevel.Warning, Message = "Refused a heartbeat of cluster {ClusterName}: {Problem}")]
    private partial void LogAddressesRefused(string clusterName, string problem);
}

/// <summary>The outcome of checking a cluster's API token.</summary>
internal enum ClusterTokenCheck
{
    /// <summary>No such cluster.</summary>
    UnknownCluster,

    /// <summary>The cluster exists and the token is not its token.</summary>
    Invalid,

    /// <summary>The token is the cluster's.</summary>
    Valid,
}
