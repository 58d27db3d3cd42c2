namespace DaskGateway.Clusters;

/// <summary>
/// Makes the TLS credentials of a new cluster (protocol.md §3.1): a self-signed certificate naming
/// the cluster, which its scheduler and workers present and its clients trust. The host provides
/// it to every backend; a source gives each cluster its own, before its scheduler starts.
/// </summary>
/// <remarks>
/// Keys are made ahead of time in the background, so an issue usually returns at once; when
/// clusters are created faster than that, it waits for a key. Thread-safe.
/// </remarks>
public interface IClusterCredentialIssuer
{
    /// <summary>New credentials whose certificate names <paramref name="clusterName"/>.</summary>
    /// <param name="clusterName">The cluster's name, put in the certificate's subject alternative names.</param>
    /// <param name="cancellationToken">Stops waiting for a key.</param>
    ValueTask<ClusterCredentials> IssueAsync(string clusterName, CancellationToken cancellationToken);
}
