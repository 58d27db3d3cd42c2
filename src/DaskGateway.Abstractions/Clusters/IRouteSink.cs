namespace DaskGateway.Clusters;

/// <summary>
/// Where a backend publishes how a running cluster is reached through the gateway's public port
/// (the proxy's route table): its scheduler by SNI and its dashboard by path (protocol.md §4.2).
/// The host provides it to every backend; an <see cref="IClusterSource"/> adds a cluster's routes
/// once its scheduler reported its addresses, and removes them when the cluster stops.
/// </summary>
/// <remarks>Routes live in memory: a source that keeps clusters across restarts adds the routes of running ones again in <see cref="IClusterSource.LoadAsync"/>. Thread-safe.</remarks>
public interface IRouteSink
{
    /// <summary>The cluster is running: route SNI <c>daskgateway-&lt;name&gt;</c> to its scheduler and, with a dashboard, <c>/clusters/&lt;name&gt;</c> to it.</summary>
    /// <param name="clusterName">The cluster's name.</param>
    /// <param name="schedulerAddress">The scheduler's TLS address as its heartbeat reported it (<c>tls://host:port</c>).</param>
    /// <param name="dashboardAddress">The dashboard's address (<c>http://host:port</c>), or empty for none.</param>
    void AddClusterRoutes(string clusterName, string schedulerAddress, string dashboardAddress);

    /// <summary>The cluster stopped: remove its routes (removing absent routes is harmless).</summary>
    /// <param name="clusterName">The cluster's name.</param>
    void RemoveClusterRoutes(string clusterName);
}
