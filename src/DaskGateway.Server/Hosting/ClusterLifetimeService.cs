using DaskGateway.Clusters;

namespace DaskGateway.Hosting;

/// <summary>Runs the maximum-lifetime and no-client checks of <see cref="ClusterLifetimes"/> while the gateway runs.</summary>
internal sealed class ClusterLifetimeService : BackgroundService
{
    private readonly ClusterLifetimes _lifetimes;

    public ClusterLifetimeService(ClusterLifetimes lifetimes) => _lifetimes = lifetimes;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _lifetimes.RunAsync(stoppingToken);
}
