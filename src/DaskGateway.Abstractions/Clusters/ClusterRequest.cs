using DaskGateway.Auth;

namespace DaskGateway.Clusters;

/// <summary>A new cluster as the gateway asks a backend to create it: the options are validated and the config is made.</summary>
/// <param name="User">The user who asked for it and will own it.</param>
/// <param name="Options">The validated options, keyed by field (shown to the user as the cluster's options).</param>
/// <param name="Config">The cluster config made from the backend's settings and the options.</param>
public sealed record ClusterRequest(User User, IReadOnlyDictionary<string, object?> Options, ClusterConfig Config);
