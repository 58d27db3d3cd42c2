namespace DaskGateway.Backends.Kubernetes;

/// <summary>Where a running cluster's scheduler, dashboard and scheduler API are reached from the gateway.</summary>
internal sealed record KubeClusterAddresses(string Scheduler, string Dashboard, string Api)
{
    /// <summary>Through the cluster's headless Service (<c>dask-&lt;name&gt;</c>, as named in its status; protocol.md §8.5).</summary>
    public static KubeClusterAddresses ForService(string @namespace, string serviceName)
    {
        var host = $"{serviceName}.{@namespace}";
        return new KubeClusterAddresses(
            $"tls://{host}:{DaskClusterNames.SchedulerPort}",
            $"http://{host}:{DaskClusterNames.DashboardPort}",
            $"http://{host}:{DaskClusterNames.ApiPort}");
    }
}
