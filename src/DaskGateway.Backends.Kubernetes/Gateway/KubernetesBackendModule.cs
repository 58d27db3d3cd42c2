using DaskGateway.Clusters;
using Microsoft.Extensions.DependencyInjection;

namespace DaskGateway.Backends.Kubernetes.Gateway;

/// <summary>
/// Hosts <see cref="KubeBackend"/>: clusters kept in DaskCluster resources, reached with a
/// rate-limited client. The gateway's scheduler client, route sink, cluster requests and config
/// factory come from the host.
/// </summary>
public sealed class KubernetesBackendModule : IGatewayBackendModule
{
    /// <inheritdoc/>
    public void Configure(BackendModuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Backend is not KubeBackend kube)
        {
            context.AddError(nameof(Backend), $"{context.Backend.GetType().Name} is not a {nameof(KubeBackend)}");
            return;
        }

        if (string.IsNullOrWhiteSpace(kube.GatewayInstance))
        {
            context.AddError(nameof(KubeBackend.GatewayInstance), "must name this gateway's deployment (the chart sets it; or set GATEWAY_INSTANCE)");
        }
    }

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services, BackendModuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var backend = (KubeBackend)context.Backend;
        services.AddSingleton(backend);
        services.AddSingleton(_ => KubeClientFactory.Create(backend.KubeconfigPath.Length > 0 ? backend.KubeconfigPath : null, backend.K8sApiRateLimit, backend.K8sApiRateLimitBurst));
        services.AddSingleton<KubeClusterCache>();
        services.AddSingleton<IClusterSource, KubeClusterSource>();
    }
}
