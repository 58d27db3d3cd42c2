using DaskGateway.Auth;
using DaskGateway.Clusters;

namespace DaskGateway.Hosting;

/// <summary>Sets the authenticator up before the gateway serves and stops clusters and cleans up when it stops.</summary>
internal sealed class GatewayLifetime : IHostedService
{
    private readonly Authenticator _authenticator;
    private readonly ClusterManager _clusters;
    private readonly IServiceProvider _services;

    public GatewayLifetime(Authenticator authenticator, ClusterManager clusters, IServiceProvider services)
    {
        _authenticator = authenticator;
        _clusters = clusters;
        _services = services;
    }

    public Task StartAsync(CancellationToken cancellationToken) => _authenticator.SetupAsync(_services, cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Cluster records live in memory, so nothing could re-adopt a cluster left running (protocol.md §4.9).
        _clusters.StopAll(JobStatus.Failed, "the gateway is shutting down");
        await _authenticator.CleanupAsync(cancellationToken);
    }
}
