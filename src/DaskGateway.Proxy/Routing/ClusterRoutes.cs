using DaskGateway.Clusters;

namespace DaskGateway.Proxy.Routing;

/// <summary>The reconciler's routes in the route table: PATH <c>&lt;prefix&gt;/clusters/&lt;name&gt;</c> and SNI <c>&lt;name&gt;</c>.</summary>
internal sealed class ClusterRoutes : IRouteSink
{
    private readonly RouteTable _routes;
    private readonly ProxyOptions _options;

    public ClusterRoutes(RouteTable routes, ProxyOptions options)
    {
        _routes = routes;
        _options = options;
    }

    public void AddClusterRoutes(string clusterName, string schedulerAddress, string dashboardAddress)
    {
        if (dashboardAddress.Length > 0)
        {
            _routes.Put(ProxyRoute.Path(_options.DashboardRoutePath(clusterName), dashboardAddress));
        }

        _routes.Put(ProxyRoute.Sni(clusterName, schedulerAddress));
    }

    public void RemoveClusterRoutes(string clusterName)
    {
        _routes.Delete(RouteKind.Path, _options.DashboardRoutePath(clusterName));
        _routes.Delete(RouteKind.Sni, clusterName);
    }
}
