using DaskGateway.Auth;

namespace DaskGateway.Clusters;

/// <summary>
/// The clusters as the API sees them (protocol.md §1.3): one implementation per kind of backend,
/// the database-backed <see cref="ClusterManager"/> and the Kubernetes backend's, which keeps its
/// state in DaskCluster resources.
/// </summary>
internal interface IClusterService
{
    /// <summary>The cluster options this user may set.</summary>
    Task<ApiResult<Options>> GetOptionsAsync(User user);

    /// <summary>Validates the user's options and creates a cluster, returning its name.</summary>
    Task<ApiResult<string>> CreateAsync(User user, object? requestedOptions);

    /// <summary>The user's clusters with one of <paramref name="statuses"/>, by default only the active ones.</summary>
    IReadOnlyList<ClusterSnapshot> List(User user, IReadOnlySet<ClusterStatus>? statuses);

    /// <summary>One cluster; with <paramref name="wait"/>, held until it is ready or stopping, or a timeout passes.</summary>
    Task<ApiResult<ClusterSnapshot>> GetAsync(User user, string name, bool wait, CancellationToken cancellationToken);

    /// <summary>Stops a cluster on behalf of a user (who must own it) or of its scheduler (<paramref name="user"/> null).</summary>
    Task<ApiError?> StopAsync(User? user, string name);

    Task<ApiResult<ScaleReply>> ScaleAsync(User user, string name, int count, CancellationToken cancellationToken);

    Task<ApiResult<ScaleReply>> AdaptAsync(User user, string name, AdaptRequest request, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="token"/> is the cluster's API token (compared in constant time).</summary>
    ValueTask<ClusterTokenCheck> CheckClusterTokenAsync(string name, string token, CancellationToken cancellationToken);

    /// <summary>The cluster's timeline, for its owner or an admin.</summary>
    Task<ApiResult<IReadOnlyList<ClusterEvent>>> GetEventsAsync(User user, string name, CancellationToken cancellationToken);

    /// <summary>Handles a scheduler's heartbeat (protocol.md §3.5); an error (422) when it reports addresses the cluster's scheduler cannot have.</summary>
    Task<ApiError?> OnHeartbeatAsync(string name, Heartbeat heartbeat);
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
