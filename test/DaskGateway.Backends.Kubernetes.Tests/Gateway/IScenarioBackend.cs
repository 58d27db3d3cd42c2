using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Kubernetes.Gateway;

/// <summary>
/// One backend under the route-by-route scenario: a gateway configured with the scenario's settings,
/// and the one thing that differs per backend, how a cluster is brought to RUNNING with a fake
/// scheduler behind its API address.
/// </summary>
internal interface IScenarioBackend : IAsyncDisposable
{
    TestGateway Gateway { get; }

    /// <summary>
    /// Plays whatever outside the gateway makes the cluster run (its scheduler, or the controller),
    /// with a <see cref="FakeScheduler"/> holding the cluster's token as the scheduler's API, and
    /// returns once the owner sees it RUNNING.
    /// </summary>
    Task<FakeScheduler> BringToRunningAsync(GatewayClient owner, string clusterName);
}
