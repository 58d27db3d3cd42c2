using DaskGateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace DaskGateway.Tests;

/// <summary>
/// <c>ClusterConfig.MaxLifetime</c> and <c>ClusterConfig.NoClientTimeout</c> end to end on a fake
/// gateway clock: fake schedulers heartbeat in real time, with or without <c>client_count</c>, and
/// the gateway stops the cluster with the reason in its events. Exact boundaries are in the
/// Core tests of ClusterLifetimes.
/// </summary>
public sealed class ClusterLifetimeTests
{
    // The heartbeat timeout (twice the period) must not end the cluster while the clock jumps.
    private static readonly (string, object?)[] Settings = [("DaskGateway.BackendClass", "InProcessBackend"), ("DBBackendBase.ClusterHeartbeatPeriod", 3600)];

    [Fact]
    public async Task ClusterPastItsMaximumLifetime_IsStopped_WithTheReasonInItsEvents()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = await TestGateway.StartAsync(time, [.. Settings, ("ClusterConfig.MaxLifetime", 600)]);
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        await alice.WaitForStatusAsync(name, "RUNNING");

        time.Advance(TimeSpan.FromSeconds(601));

        await alice.WaitForStatusAsync(name, "STOPPED");
        Assert.Contains("stopped: reached its maximum lifetime of 600 s", await MessagesAsync(alice, name));
    }

    [Fact]
    public async Task ClusterWhoseLastClientLeft_IsStoppedAfterTheNoClientTimeout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = await TestGateway.StartAsync(time, [.. Settings, ("ClusterConfig.NoClientTimeout", 60)]);
        var backend = gateway.Backend<InProcessBackend>();
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        await alice.WaitForStatusAsync(name, "RUNNING");
        var scheduler = backend.Scheduler(name);
        scheduler.ClientCount = 1;
        await HeartbeatsAsync(scheduler);

        time.Advance(TimeSpan.FromSeconds(300));
        await HeartbeatsAsync(scheduler);
        Assert.Equal("RUNNING", (await alice.GetJsonAsync($"api/v1/clusters/{name}"))["status"]!.GetValue<string>());

        scheduler.ClientCount = 0;
        await HeartbeatsAsync(scheduler);
        time.Advance(TimeSpan.FromSeconds(61));

        await alice.WaitForStatusAsync(name, "STOPPED");
        Assert.Contains("stopped: no Dask client connected for 60 s", await MessagesAsync(alice, name));
    }

    [Fact]
    public async Task WithoutClientCounts_AClusterWhoseWorkersDoNotChange_IsStoppedAfterTheNoClientTimeout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = await TestGateway.StartAsync(time, [.. Settings, ("ClusterConfig.NoClientTimeout", 60)]);
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        await alice.WaitForStatusAsync(name, "RUNNING");
        await HeartbeatsAsync(gateway.Backend<InProcessBackend>().Scheduler(name));

        time.Advance(TimeSpan.FromSeconds(61));

        await alice.WaitForStatusAsync(name, "STOPPED");
        Assert.Contains("stopped: no activity (worker count or workers changed) for 60 s", await MessagesAsync(alice, name));
    }

    private static async Task HeartbeatsAsync(FakeDaskScheduler scheduler)
    {
        // Two more: the first may have been decided on before the change the test made.
        var sent = scheduler.HeartbeatsSent;
        await Eventually.WaitUntilAsync(() => scheduler.HeartbeatsSent >= sent + 2, "the scheduler heartbeats");
    }

    private static async Task<List<string>> MessagesAsync(GatewayClient client, string cluster) =>
        [.. (await client.GetJsonAsync($"api/v1/clusters/{cluster}/events"))["events"]!.AsArray().Select(e => e!["message"]!.GetValue<string>())];
}
