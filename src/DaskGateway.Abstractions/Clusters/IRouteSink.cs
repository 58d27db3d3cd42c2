namespace DaskGateway.Clusters;

/// <summary>
/// Where a backend publishes how a running cluster is reached through the gateway's public entry point
/// (the proxy's route table, protocol.md §4.2): its scheduler by SNI <c>daskgateway-&lt;name&gt;</c> and its
/// dashboard by the path <c>/clusters/&lt;name&gt;</c>. The gateway provides it through its services; the
/// database-backed backends need not use it (the gateway publishes their clusters' routes itself).
/// </summary>
public interface IRouteSink
{
    /// <summary>The cluster is running: route SNI <c>daskgateway-&lt;name&gt;</c> to its scheduler and, with a dashboard (non-empty <paramref name="dashboardAddress"/>), <c>/clusters/&lt;name&gt;</c> to it.</summary>
    void AddClusterRoutes(string clusterName, string schedulerAddress, string dashboardAddress);

    /// <summary>The cluster stopped: remove its routes (removing absent routes is harmless).</summary>
    void RemoveClusterRoutes(string clusterName);
}
