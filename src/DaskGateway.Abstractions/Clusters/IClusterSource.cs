namespace DaskGateway.Clusters;

/// <summary>
/// Where a backend keeps its clusters, and how they are changed: the one thing each kind of backend
/// implements for the gateway's API. The gateway's cluster policy (who may see or change which
/// cluster, options and limits, <c>?wait</c>, forwarding scale and adapt to the scheduler, checking
/// tokens and heartbeat addresses, error answers) is written once over this interface; a source
/// only keeps state and carries out what the policy decided.
/// </summary>
/// <remarks>
/// <para>A backend module (<see cref="Backends.IGatewayBackendModule"/>) registers exactly one source.
/// Methods are called concurrently; implementations are thread-safe.</para>
/// <para>Expected failures are returned as a <see cref="ClusterError"/>, never thrown; an exception
/// is a bug and is answered with a 500.</para>
/// <para>What the gateway does before calling a source: it authenticates and authorizes users,
/// validates options and makes the <see cref="ClusterConfig"/> (<see cref="CreateAsync"/>), checks
/// a heartbeat's token against <see cref="GetTokenAsync"/> and its addresses against
/// <see cref="IsSchedulerHost"/>, caps its worker count at the cluster's limit, and hides
/// credentials from everyone but the owner. What a source does itself: give each cluster a secret
/// token and TLS credentials (<see cref="IClusterCredentialIssuer"/>) and hand them, with the API
/// URL of <see cref="StartAsync"/>, to whatever starts its scheduler; publish and remove the
/// routes of running clusters (<see cref="IRouteSink"/>); and complete
/// <see cref="WaitUntilReadyAsync"/> when a cluster is running or no longer active. The host
/// provides both services, a <see cref="TimeProvider"/> and logging
/// (<see cref="Backends.IGatewayBackendModule.AddServices"/>).</para>
/// </remarks>
public interface IClusterSource
{
    /// <summary>A line for the gateway's startup log saying where cluster state is kept.</summary>
    string StateDescription { get; }

    /// <summary>Loads the clusters known before this start (and publishes routes of running ones) before the gateway serves.</summary>
    Task LoadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Starts tracking clusters once the gateway listens; <paramref name="privateApiUrl"/> is how
    /// schedulers reach this gateway's API (<c>http://host:port/api</c>, the preload's
    /// <c>DASK_GATEWAY_API_URL</c>). Clusters may be created before this is called.
    /// </summary>
    Task StartAsync(string privateApiUrl, CancellationToken cancellationToken);

    /// <summary>Stops tracking at shutdown; stops the clusters too when the backend is so configured.</summary>
    Task StopAsync(CancellationToken cancellationToken);

    /// <summary>The clusters of one user, or of every user when <paramref name="username"/> is null; stopped ones too, while kept.</summary>
    IReadOnlyList<ClusterState> List(string? username);

    /// <summary>One cluster by name; null when there is none (names that cannot be a cluster's included).</summary>
    ValueTask<ClusterState?> FindAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Completes when the cluster becomes <see cref="ClusterState.IsReady"/> (or at once when it is,
    /// or is gone). The caller bounds the wait by cancelling <paramref name="cancellationToken"/>.
    /// </summary>
    Task WaitUntilReadyAsync(string name, CancellationToken cancellationToken);

    /// <summary>The cluster's API token, shared with its scheduler; null while it cannot be read yet.</summary>
    ValueTask<string?> GetTokenAsync(ClusterState cluster, CancellationToken cancellationToken);

    /// <summary>The cluster's timeline, oldest first.</summary>
    Task<IReadOnlyList<ClusterEvent>> GetEventsAsync(ClusterState cluster, CancellationToken cancellationToken);

    /// <summary>Records a new cluster and starts bringing it up; returns its name.</summary>
    Task<ClusterResult<string>> CreateAsync(ClusterRequest request, CancellationToken cancellationToken);

    /// <summary>Asks an active cluster to stop; <paramref name="reason"/> goes into its events and the log.</summary>
    Task<ClusterError?> StopAsync(ClusterState cluster, string reason, CancellationToken cancellationToken);

    /// <summary>The scheduler accepted a new worker count: start or stop workers now rather than at its next heartbeat.</summary>
    Task<ClusterError?> SetWorkerCountAsync(ClusterState cluster, int count, CancellationToken cancellationToken);

    /// <summary>The cluster's scheduler did not accept a forwarded request (after retries): what the backend does about it.</summary>
    Task OnSchedulerUnreachableAsync(ClusterState cluster, CancellationToken cancellationToken);

    /// <summary>Whether the scheduler of this cluster may be listening on <paramref name="host"/> (a heartbeat's address host).</summary>
    bool IsSchedulerHost(ClusterState cluster, string host);

    /// <summary>Adds an event to the cluster's timeline (a source may drop it when the timeline is full).</summary>
    Task RecordEventAsync(ClusterState cluster, string kind, string message, CancellationToken cancellationToken);

    /// <summary>Applies a heartbeat of an active cluster whose token and addresses were checked.</summary>
    Task OnHeartbeatAsync(ClusterState cluster, Heartbeat heartbeat, CancellationToken cancellationToken);
}
