using DaskGateway.Backends;
using DaskGateway.Backends.Kubernetes;
using DaskGateway.Clusters;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Kubernetes backend's cluster services in the gateway.</summary>
internal static class KubeGatewayServices
{
    /// <summary>
    /// Adds the API's clusters kept in DaskCluster resources, reached with a rate-limited client
    /// (the gateway's ISchedulerClient, IRouteSink, ClusterRequests and IClusterConfigFactory come from the host).
    /// </summary>
    public static IServiceCollection AddKubernetesClusters(this IServiceCollection services, KubeBackend backend)
    {
        services.AddSingleton(backend);
        services.AddSingleton(_ => KubeClientFactory.Create(backend.KubeconfigPath.Length > 0 ? backend.KubeconfigPath : null, backend.K8sApiRateLimit, backend.K8sApiRateLimitBurst));
        services.AddSingleton<KubeClusterService>();
        services.AddSingleton<IClusterService>(provider => provider.GetRequiredService<KubeClusterService>());
        services.AddSingleton<IClusterLifecycle>(provider => provider.GetRequiredService<KubeClusterService>());
        return services;
    }
}
