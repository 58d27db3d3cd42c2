using DaskGateway.Backends.Kubernetes.Controller;

namespace DaskGateway.Hosting;

/// <summary>Runs the <see cref="KubeController"/> for the lifetime of the host.</summary>
internal sealed class KubeControllerService(KubeController controller) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => controller.RunAsync(stoppingToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await controller.DisposeAsync();
    }
}
