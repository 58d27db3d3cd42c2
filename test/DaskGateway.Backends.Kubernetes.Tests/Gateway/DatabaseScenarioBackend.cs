using System.Collections.Concurrent;
using System.Net;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Kubernetes.Gateway;

/// <summary>
/// The database backend as the functional tests run it: the gateway in this process with its
/// SQLite store and the unmanaged backend, whose clusters run once their scheduler's first
/// heartbeat reports its addresses.
/// </summary>
internal sealed class DatabaseScenarioBackend : IScenarioBackend
{
    private readonly ConcurrentBag<FakeScheduler> _schedulers = [];

    private DatabaseScenarioBackend(TestGateway gateway) => Gateway = gateway;

    public TestGateway Gateway { get; }

    public static async Task<IScenarioBackend> StartAsync((string Setting, object? Value)[] settings) =>
        new DatabaseScenarioBackend(await TestGateway.StartAsync(settings));

    public async Task<FakeScheduler> BringToRunningAsync(GatewayClient owner, string clusterName)
    {
        var scheduler = await FakeScheduler.StartAsync(Gateway.TokenOf(clusterName));
        _schedulers.Add(scheduler);
        using (var heartbeat = await SchedulerSide.HeartbeatAsync(Gateway.PrivateAddress, clusterName, scheduler.Token, SchedulerSide.Heartbeat(scheduler.ApiAddress)))
        {
            Assert.Equal(HttpStatusCode.OK, heartbeat.StatusCode);
        }

        await owner.WaitForStatusAsync(clusterName, "RUNNING");
        return scheduler;
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        foreach (var scheduler in _schedulers)
        {
            await scheduler.DisposeAsync();
        }
    }
}
