using System.Net;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

/// <summary>
/// The local backend's rule for the addresses its schedulers report (loopback only), with a real
/// <c>dask-scheduler</c>. The refused addresses are never contacted.
/// </summary>
public sealed class LocalBackendHeartbeatTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("dask-gateway-local-heartbeat-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task ClusterCodeReportingAnotherHost_Is422_AndTheGatewayKeepsUsingTheSchedulersLoopbackAddresses()
    {
        await using var gateway = await TestGateway.StartAsync(
            ("DaskGateway.BackendClass", "UnsafeLocalBackend"),
            ("DBBackendBase.ClusterHeartbeatPeriod", 1),
            ("LocalBackend.ClustersDirectory", Path.Combine(_directory.FullName, "clusters")),
            ("ClusterConfig.WorkerMemory", "512M"));
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();

        // The real scheduler's own heartbeats are accepted: it runs.
        await alice.WaitForStatusAsync(name, "RUNNING");
        Assert.True(gateway.Registry.TryGet(name, out var cluster));
        Assert.StartsWith("tls://127.0.0.1:", cluster.SchedulerAddress, StringComparison.Ordinal);
        var honestApi = cluster.ApiAddress;

        // Code in the cluster holds its token (the scheduler's environment) and reports elsewhere.
        var heartbeat = SchedulerSide.Heartbeat(new Uri("http://10.1.2.3:8788"), count: 1);
        heartbeat["scheduler_address"] = "tls://10.1.2.3:8786";
        heartbeat["dashboard_address"] = "http://169.254.169.254:80";
        using (var refused = await SchedulerSide.HeartbeatAsync(gateway.PrivateAddress, name, gateway.TokenOf(name), heartbeat))
        {
            Assert.Contains("10.1.2.3", await GatewayClient.ReadErrorAsync(refused, HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);
        }

        var events = (await alice.GetJsonAsync($"api/v1/clusters/{name}/events"))["events"]!.AsArray();
        Assert.Contains(events, e => (string?)e!["kind"] == "addresses-refused");
        Assert.True(gateway.Routes.TryGetSni(name, out var target));
        Assert.Contains("127.0.0.1:", target, StringComparison.Ordinal);
        Assert.Equal(honestApi, cluster.ApiAddress);

        // Scaling still goes to the real scheduler, which starts the worker.
        using (var scaled = await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 1 }))
        {
            Assert.Equal(HttpStatusCode.OK, scaled.StatusCode);
        }

        await Eventually.WaitUntilAsync(
            () =>
            {
                lock (cluster.SyncRoot)
                {
                    return cluster.Workers.Values.Any(w => w.Status == DaskGateway.Clusters.JobStatus.Running);
                }
            },
            "the worker joins the real scheduler");
        Assert.Equal("RUNNING", (string?)(await alice.GetJsonAsync($"api/v1/clusters/{name}"))["status"]);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.0.0.2", true)]
    [InlineData("::1", true)]
    [InlineData("10.1.2.3", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("localhost", false)]
    [InlineData("scheduler.example.org", false)]
    public void LocalBackend_AcceptsOnlyLoopbackSchedulerHosts(string host, bool accepted)
    {
        var info = new DaskGateway.Backends.ClusterInfo("c", "alice", "token", new DaskGateway.Clusters.ClusterConfig(), "", "", "http://127.0.0.1:1/api", "", []);

        Assert.Equal(accepted, new DaskGateway.Backends.LocalBackend().IsSchedulerHost(info, host));
        Assert.Equal(accepted, new DaskGateway.Backends.UnsafeLocalBackend().IsSchedulerHost(info, host));
    }
}
