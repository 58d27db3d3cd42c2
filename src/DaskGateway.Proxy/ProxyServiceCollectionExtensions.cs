using DaskGateway.Clusters;
using DaskGateway.Proxy;
using DaskGateway.Proxy.Http;
using DaskGateway.Proxy.Routing;
using DaskGateway.Proxy.Sni;

#pragma warning disable IDE0130 // Service-collection extensions live in the namespace of IServiceCollection, by convention.
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers the public entry point's parts.</summary>
internal static class ProxyServiceCollectionExtensions
{
    /// <summary>The route table and everything that reads it: SNI routing, HTTP forwarding, the route API, the reconciler's routes.</summary>
    public static IServiceCollection AddDaskGatewayProxy(this IServiceCollection services, ProxyOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(new RouteTable(options.MaxEvents));
        services.AddSingleton<ISchedulerDialer, SocketDialer>();
        services.AddSingleton<SniRouter>();
        services.AddSingleton<HttpRouteForwarder>();
        services.AddSingleton<RouteApi>();
        services.AddSingleton<IRouteSink, ClusterRoutes>();
        services.AddHttpForwarder();
        return services;
    }
}
