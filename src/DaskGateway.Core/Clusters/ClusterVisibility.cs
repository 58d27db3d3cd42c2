using DaskGateway.Auth;

namespace DaskGateway.Clusters;

/// <summary>What of a cluster each user who may view it is shown.</summary>
internal static class ClusterVisibility
{
    /// <summary>
    /// The cluster as <paramref name="viewer"/> sees it: its TLS certificate and key only for its
    /// owner. An admin who views another user's cluster gets both as null, so that an admin's
    /// session cannot hand out the key that lets its holder act as the cluster's client and workers.
    /// </summary>
    public static ClusterState SeenBy(this ClusterState cluster, User viewer) =>
        cluster.Credentials is null || viewer.Name == cluster.Username ? cluster : cluster with { Credentials = null };
}
