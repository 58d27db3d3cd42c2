using System.Net;
using System.Text.Json.Nodes;
using DaskGateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace DaskGateway.Tests;

/// <summary>
/// The cluster and worker state machines (protocol.md §4.2–4.6) end to end: the gateway on
/// loopback with fake schedulers that speak the real heartbeat and <c>/api/comm</c> protocol.
/// Gateway time is a fake clock, so timeouts happen when a test says so.
/// </summary>
public sealed class ReconcilerTests
{
    private static readonly (string, object?)[] InProcess = [("DaskGateway.BackendClass", "InProcessBackend")];

    private static async Task<(TestGateway Gateway, GatewayClient Client, InProcessBackend Backend)> StartAsync(FakeTimeProvider? time, params (string, object?)[] settings)
    {
        var gateway = await TestGateway.StartAsync(time, [.. InProcess, .. settings]);
        return (gateway, gateway.Client("alice"), gateway.Backend<InProcessBackend>());
    }

    private static async Task<JsonArray> EventsAsync(GatewayClient client, string cluster) =>
        (await client.GetJsonAsync($"api/v1/clusters/{cluster}/events"))["events"]!.AsArray();


    [Fact]
    public async Task Cluster_StartsScalesUpAndDown_AndStopsEverything()
    {
        var (gateway, alice, backend) = await StartAsync(null);
        await using var _ = gateway;
        using var __ = alice;

        var name = await alice.CreateClusterAsync();
        await alice.WaitForStatusAsync(name, "RUNNING");
        using (var scale = await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 2 }))
        {
            Assert.Equal(HttpStatusCode.OK, scale.StatusCode);
        }

        var cluster = gateway.Registry.All.Single();
        await Eventually.WaitUntilAsync(() => cluster.ActiveWorkers.Count(w => w.Status == Clusters.JobStatus.Running) == 2, "two workers run");
        Assert.Equal(2, backend.Scheduler(name).ActiveWorkers.Count);

        using (var scale = await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 0 }))
        {
            Assert.Equal(HttpStatusCode.OK, scale.StatusCode);
        }

        await Eventually.WaitUntilAsync(() => cluster.Workers.Values.All(w => w.Status == Clusters.JobStatus.Stopped), "the workers are retired");
        Assert.Equal(2, backend.Calls.Count(c => c.StartsWith("stop-worker", StringComparison.Ordinal)));

        using (await alice.DeleteAsync($"api/v1/clusters/{name}"))
        {
        }

        await alice.WaitForStatusAsync(name, "STOPPED");
        Assert.Contains($"stop-cluster {name}", backend.Calls);
        Assert.False(backend.HasScheduler(name));
        var kinds = (await EventsAsync(alice, name)).Select(e => e!["kind"]!.GetValue<string>()).ToList();
        Assert.Equal(["created", "submitted", "running", "stopping", "stopped"], kinds);
    }

    [Fact]
    public async Task ClusterWhoseStartFails_IsFailedWithTheReason()
    {
        var (gateway, alice, _) = await StartAsync(null, ("InProcessBackend.FailClusterStarts", true));
        await using var _1 = gateway;
        using var _2 = alice;

        var name = await alice.CreateClusterAsync();

        await alice.WaitForStatusAsync(name, "FAILED");
        var events = await EventsAsync(alice, name);
        Assert.Contains(events, e => e!["message"]!.GetValue<string>() == "failed to start: no scheduler for you");
        Assert.Equal(8, (await alice.GetJsonAsync($"api/v1/clusters/{name}")).AsObject().Count);
    }

    [Fact]
    public async Task ClusterWhoseStartHangs_FailsAtTheStartTimeout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (gateway, alice, backend) = await StartAsync(time, ("InProcessBackend.HangClusterStarts", true), ("DBBackendBase.ClusterStartTimeout", 60));
        await using var _1 = gateway;
        using var _2 = alice;
        var name = await alice.CreateClusterAsync();
        await Eventually.WaitUntilAsync(() => backend.Calls.Contains($"start-cluster {name}"), "the backend is starting the cluster");

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("PENDING", (await alice.GetJsonAsync($"api/v1/clusters/{name}"))["status"]!.GetValue<string>());
        time.Advance(TimeSpan.FromSeconds(2));

        await alice.WaitForStatusAsync(name, "FAILED");
        Assert.Contains(await EventsAsync(alice, name), e => e!["message"]!.GetValue<string>().Contains("did not start the cluster within 60 s", StringComparison.Ordinal));
        Assert.Contains($"stop-cluster {name}", backend.Calls);
    }

    [Fact]
    public async Task SchedulerThatNeverReports_FailsAtTheStartTimeout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (gateway, alice, backend) = await StartAsync(time, ("InProcessBackend.SilentSchedulers", true), ("DBBackendBase.ClusterStartTimeout", 30));
        await using var _1 = gateway;
        using var _2 = alice;
        var name = await alice.CreateClusterAsync();
        await Eventually.WaitUntilAsync(() => backend.HasScheduler(name) && gateway.Registry.All.Single().Status == Clusters.JobStatus.Submitted, "the scheduler was started");

        time.Advance(TimeSpan.FromSeconds(31));

        await alice.WaitForStatusAsync(name, "FAILED");
        Assert.Contains(await EventsAsync(alice, name), e => e!["message"]!.GetValue<string>().Contains("did not report within the start timeout of 30 s", StringComparison.Ordinal));
        Assert.False(backend.HasScheduler(name));
    }

    [Fact]
    public async Task RunningClusterWithoutHeartbeats_FailsAtTheHeartbeatTimeout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (gateway, alice, backend) = await StartAsync(time, ("DBBackendBase.ClusterHeartbeatPeriod", 5));
        await using var _1 = gateway;
        using var _2 = alice;
        var name = await alice.CreateClusterAsync();
        await alice.WaitForStatusAsync(name, "RUNNING");

        // Heartbeats keep the cluster alive across several timeout periods.
        for (var i = 0; i < 4; i++)
        {
            var sent = backend.Scheduler(name).HeartbeatsSent;
            await Eventually.WaitUntilAsync(() => backend.Scheduler(name).HeartbeatsSent > sent + 1, "the scheduler heartbeats");
            time.Advance(TimeSpan.FromSeconds(6));
        }

        Assert.Equal("RUNNING", (await alice.GetJsonAsync($"api/v1/clusters/{name}"))["status"]!.GetValue<string>());
        await backend.Scheduler(name).PauseHeartbeatsAsync();
        time.Advance(TimeSpan.FromSeconds(11));

        await alice.WaitForStatusAsync(name, "FAILED");
        Assert.Contains(await EventsAsync(alice, name), e => e!["message"]!.GetValue<string>().Contains("no heartbeat from the scheduler", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RepeatedWorkerStartFailures_FailTheCluster()
    {
        var (gateway, alice, backend) = await StartAsync(null, ("InProcessBackend.FailWorkerStarts", true), ("DBBackendBase.WorkerStartFailureLimit", 3));
        await using var _1 = gateway;
        using var _2 = alice;
        var name = await alice.CreateClusterAsync();
        await alice.WaitForStatusAsync(name, "RUNNING");

        using (await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 1 }))
        {
        }

        await alice.WaitForStatusAsync(name, "FAILED");
        var events = await EventsAsync(alice, name);
        Assert.Equal(3, events.Count(e => e!["kind"]!.GetValue<string>() == "worker-failed"));
        Assert.Contains(events, e => e!["message"]!.GetValue<string>() == "3 consecutive worker start failures (limit 3)");
        Assert.Equal(3, backend.Calls.Count(c => c.StartsWith("start-worker", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task WorkersThatNeverConnect_FailAtTheWorkerStartTimeout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (gateway, alice, backend) = await StartAsync(time, ("InProcessBackend.WorkersNeverConnect", true), ("DBBackendBase.WorkerStartTimeout", 20), ("DBBackendBase.WorkerStartFailureLimit", 10));
        await using var _1 = gateway;
        using var _2 = alice;
        var name = await alice.CreateClusterAsync();
        await alice.WaitForStatusAsync(name, "RUNNING");
        using (await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 1 }))
        {
        }

        var cluster = gateway.Registry.All.Single();
        await Eventually.WaitUntilAsync(() => cluster.Workers.Values.Any(w => w.Status == Clusters.JobStatus.Submitted), "a worker was submitted");
        time.Advance(TimeSpan.FromSeconds(21));

        await Eventually.WaitUntilAsync(() => cluster.Workers.Values.Any(w => w.Status == Clusters.JobStatus.Failed), "the worker failed");
        Assert.Contains(await EventsAsync(alice, name), e => e!["message"]!.GetValue<string>().Contains("did not connect within the start timeout of 20 s", StringComparison.Ordinal));

        // It is replaced: the cluster still wants one worker.
        await Eventually.WaitUntilAsync(() => backend.Calls.Count(c => c.StartsWith("start-worker", StringComparison.Ordinal)) >= 2, "a replacement starts");
        Assert.Equal("RUNNING", (await alice.GetJsonAsync($"api/v1/clusters/{name}"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task SurplusPendingWorkers_AreTrimmedWhenTheCountDrops()
    {
        var (gateway, alice, backend) = await StartAsync(null, ("InProcessBackend.WorkersNeverConnect", true));
        await using var _1 = gateway;
        using var _2 = alice;
        var name = await alice.CreateClusterAsync();
        await alice.WaitForStatusAsync(name, "RUNNING");
        var cluster = gateway.Registry.All.Single();

        using (await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 3 }))
        {
        }

        await Eventually.WaitUntilAsync(() => cluster.Workers.Values.Count(w => w.Status == Clusters.JobStatus.Submitted) == 3, "three workers are pending");
        using (await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 1 }))
        {
        }

        await Eventually.WaitUntilAsync(() => cluster.Workers.Values.Count(w => w.Status == Clusters.JobStatus.Stopped) == 2, "two pending workers are stopped");
        Assert.Equal(1, cluster.Workers.Values.Count(w => w.Status == Clusters.JobStatus.Submitted && w.Target == Clusters.JobStatus.Running));
        Assert.Equal(2, backend.Calls.Count(c => c.StartsWith("stop-worker", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task WorkerTheSchedulerForgot_IsReplacedWithoutAnError()
    {
        var (gateway, alice, backend) = await StartAsync(null);
        await using var _1 = gateway;
        using var _2 = alice;
        var name = await alice.CreateClusterAsync();
        await alice.WaitForStatusAsync(name, "RUNNING");
        using (await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 1 }))
        {
        }

        var cluster = gateway.Registry.All.Single();
        await Eventually.WaitUntilAsync(() => cluster.Workers.Values.Any(w => w.Status == Clusters.JobStatus.Running), "the worker runs");
        var first = cluster.Workers.Values.Single().Name;

        backend.Scheduler(name).Forget(first);

        // The lost worker's stop and its replacement's start run side by side: either may finish first.
        await Eventually.WaitUntilAsync(() => cluster.Workers.Values.Any(w => w.Name != first && w.Status == Clusters.JobStatus.Running), "a replacement runs");
        await Eventually.WaitUntilAsync(() => cluster.Workers[first].Status >= Clusters.JobStatus.Stopped, "the lost worker is stopped");
        Assert.Equal(Clusters.JobStatus.Failed, cluster.Workers[first].Status);
        Assert.Contains(await EventsAsync(alice, name), e => e!["kind"]!.GetValue<string>() == "worker-lost");
    }

    [Fact]
    public async Task Events_AreOnlyForTheOwner()
    {
        var (gateway, alice, _) = await StartAsync(null);
        await using var _1 = gateway;
        using var _2 = alice;
        using var bob = gateway.Client("bob");
        var name = await alice.CreateClusterAsync();

        using var response = await bob.GetAsync($"api/v1/clusters/{name}/events");
        using var unknown = await alice.GetAsync("api/v1/clusters/nope/events");

        Assert.Equal($"User bob lacks permissions to view cluster {name}", await GatewayClient.ReadErrorAsync(response, HttpStatusCode.Forbidden));
        Assert.Equal("Cluster nope not found", await GatewayClient.ReadErrorAsync(unknown, HttpStatusCode.NotFound));
    }
}
