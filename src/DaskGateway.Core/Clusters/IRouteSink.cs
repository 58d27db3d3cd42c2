namespace DaskGateway.Clusters;

/// <summary>
/// Where the reconciler publishes how a running cluster is reached through the public entry point
/// (the proxy's route table): its scheduler by SNI and its dashboard by path (protocol.md §4.2).
/// </summary>
internal interface IRouteSink
{
    /// <summary>The cluster is running: route SNI <c>daskgateway-&lt;name&gt;</c> to its scheduler and, with a dashboard, <c>/clusters/&lt;name&gt;</c> to it.</summary>
    void AddClusterRoutes(string clusterName, string schedulerAddress, string dashboardAddress);

    /// <summary>The cluster stopped: remove its routes (removing absent routes is harmless).</summary>
    void RemoveClusterRoutes(string clusterName);
}
