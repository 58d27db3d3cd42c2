using System.Net;
using DaskGateway.Clusters;
using DaskGateway.Storage.Encryption;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

/// <summary>Restart recovery from the SQLite file (protocol.md §4.9).</summary>
public sealed class RestartTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("dask-gateway-restart-");
    private readonly string _key = EncryptionKeys.GenerateKey();

    public void Dispose() => _directory.Delete(recursive: true);

    private Task<TestGateway> StartAsync(int port, bool stopClustersOnShutdown, params (string, object?)[] settings) => TestGateway.StartAsync(
        null,
        [
            ("DaskGateway.BackendClass", "InProcessBackend"),
            ("DaskGateway.Address", $"127.0.0.1:{port}"),
            ("DBBackendBase.DbUrl", $"sqlite:///{Path.Combine(_directory.FullName, "gateway.sqlite")}"),
            ("DBBackendBase.DbEncryptKeys", new[] { _key }),
            ("DBBackendBase.StopClustersOnShutdown", stopClustersOnShutdown),
            .. settings,
        ]);



    [Fact]
    public async Task ScaleToIntMaxValue_IsClampedToTheDefaultCap_AndTheGatewayStaysHealthyAcrossARestart()
    {
        const int DefaultCap = 1000;
        var port = Eventually.FreeLoopbackPort();
        string name;
        await using (var first = await StartAsync(port, stopClustersOnShutdown: false))
        {
            using var alice = first.Client("alice");
            name = await alice.CreateClusterAsync(new Dictionary<string, object?>());
            await alice.WaitForStatusAsync(name, "RUNNING");
            using (var adapt = await alice.PostJsonAsync($"api/v1/clusters/{name}/adapt", new Dictionary<string, object?> { ["minimum"] = null, ["maximum"] = int.MaxValue, ["active"] = true }))
            {
                var reply = await GatewayClient.ReadJsonAsync(adapt, HttpStatusCode.OK);
                Assert.False(reply["ok"]!.GetValue<bool>());
                Assert.Equal(
                    $"Adapt with `maximum={int.MaxValue}, minimum=0` workers would exceed resource limit of 1000 workers. Using `maximum=1000, minimum=0` instead.",
                    reply["msg"]!.GetValue<string>());
            }

            using (var scale = await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = int.MaxValue }))
            {
                var reply = await GatewayClient.ReadJsonAsync(scale, HttpStatusCode.OK);
                Assert.False(reply["ok"]!.GetValue<bool>());
                Assert.Equal(
                    $"Scale request of {int.MaxValue} workers would exceed resource limit of {DefaultCap} workers. Scaling to {DefaultCap} instead.",
                    reply["msg"]!.GetValue<string>());
            }

            Assert.Equal(DefaultCap, first.Backend<InProcessBackend>().Scheduler(name).Count);
            await AssertHealthyAsync(alice);
            var cluster = first.Registry.All.Single();
            await Eventually.WaitUntilAsync(() => WorkerCount(cluster) == DefaultCap, "the workers up to the cap exist", seconds: 120);
            Assert.Equal(DefaultCap, cluster.Count);
            await AssertHealthyAsync(alice);
        }

        try
        {
            await using var second = await StartAsync(port, stopClustersOnShutdown: true);
            using var alice = second.Client("alice");
            await AssertHealthyAsync(alice);
            Assert.Equal("RUNNING", (await alice.GetJsonAsync($"api/v1/clusters/{name}"))["status"]!.GetValue<string>());
            var cluster = second.Registry.All.Single();
            Assert.Equal(DefaultCap, cluster.Count);
            Assert.Equal(DefaultCap, WorkerCount(cluster));
        }
        finally
        {
            await InProcessBackend.KillAsync(name);
        }
    }

    private static int WorkerCount(Cluster cluster)
    {
        lock (cluster.SyncRoot)
        {
            return cluster.Workers.Count;
        }
    }

    private static async Task AssertHealthyAsync(GatewayClient client)
    {
        using var health = await client.GetAsync("api/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task GatewayRestartedWithoutStoppingClusters_AdoptsThem()
    {
        var port = Eventually.FreeLoopbackPort();
        string name;
        string firstWorker;
        await using (var first = await StartAsync(port, stopClustersOnShutdown: false))
        {
            using var alice = first.Client("alice");
            name = await alice.CreateClusterAsync(new Dictionary<string, object?>());
            await alice.WaitForStatusAsync(name, "RUNNING");
            using (await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 1 }))
            {
            }

            var cluster = first.Registry.All.Single();
            await Eventually.WaitUntilAsync(() => cluster.Workers.Values.Any(w => w.Status == JobStatus.Running), "the worker runs");
            firstWorker = cluster.Workers.Keys.Single();
        }

        try
        {
            await using var second = await StartAsync(port, stopClustersOnShutdown: true);
            var backend = second.Backend<InProcessBackend>();
            using var alice = second.Client("alice");

            var restored = await alice.GetJsonAsync($"api/v1/clusters/{name}");
            Assert.Equal("RUNNING", restored["status"]!.GetValue<string>());
            Assert.NotNull(restored["tls_key"]);

            // Heartbeats from the scheduler that kept running are accepted, and scaling reaches it.
            var sent = backend.Scheduler(name).HeartbeatsSent;
            await Eventually.WaitUntilAsync(() => backend.Scheduler(name).HeartbeatsSent > sent + 2, "the scheduler heartbeats to the new gateway");
            using (var scale = await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 2 }))
            {
                Assert.Equal(HttpStatusCode.OK, scale.StatusCode);
            }

            var cluster = second.Registry.All.Single();
            await Eventually.WaitUntilAsync(() => cluster.Workers.Values.Count(w => w.Status == JobStatus.Running) == 2, "two workers run");
            Assert.Equal(JobStatus.Running, cluster.Workers[firstWorker].Status);
            Assert.DoesNotContain(backend.Calls, c => c.StartsWith("start-cluster", StringComparison.Ordinal));
            Assert.Single(backend.Calls, c => c.StartsWith("start-worker", StringComparison.Ordinal));
            Assert.Equal("RUNNING", (await alice.GetJsonAsync($"api/v1/clusters/{name}"))["status"]!.GetValue<string>());
        }
        finally
        {
            await InProcessBackend.KillAsync(name);
        }
    }

    [Fact]
    public async Task CleanShutdown_StopsEverything_AndKeepsTheRecords()
    {
        var port = Eventually.FreeLoopbackPort();
        var names = new List<string>();
        await using (var first = await StartAsync(port, stopClustersOnShutdown: true))
        {
            using var alice = first.Client("alice");
            for (var i = 0; i < 3; i++)
            {
                names.Add(await alice.CreateClusterAsync());
            }

            foreach (var name in names)
            {
                await alice.WaitForStatusAsync(name, "RUNNING");
            }
        }

        await using var second = await StartAsync(port, stopClustersOnShutdown: true);
        using var bob = second.Client("alice");
        var stopped = await bob.GetJsonAsync("api/v1/clusters/?status=STOPPED");
        Assert.Equal(names.Order(), stopped.AsObject().Select(p => p.Key).Order());
        foreach (var name in names)
        {
            Assert.NotNull(stopped[name]!["stop_time"]);
            Assert.False(second.Backend<InProcessBackend>().HasScheduler(name));
            var events = (await bob.GetJsonAsync($"api/v1/clusters/{name}/events"))["events"]!.AsArray();
            Assert.Contains(events, e => e!["message"]!.GetValue<string>() == "the gateway is shutting down");
            Assert.Equal("stopped", events[^1]!["kind"]!.GetValue<string>());
        }

        Assert.Empty((await bob.GetJsonAsync("api/v1/clusters/")).AsObject());
    }

    [Fact]
    public async Task ClusterDeletedJustBeforeShutdown_DoesNotRunOnOrphaned_WhenClustersAreKeptAcrossRestarts()
    {
        var port = Eventually.FreeLoopbackPort();
        string name;
        var first = await StartAsync(port, stopClustersOnShutdown: false);
        try
        {
            var backend = first.Backend<InProcessBackend>();
            using var alice = first.Client("alice");
            name = await alice.CreateClusterAsync();
            await alice.WaitForStatusAsync(name, "RUNNING");
            using (await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 1 }))
            {
            }

            var cluster = first.Registry.All.Single();
            await Eventually.WaitUntilAsync(() => cluster.Workers.Values.Any(w => w.Status == JobStatus.Running), "the worker runs");

            // The stop is still under way (its worker is stopping) when the shutdown begins, and goes on
            // for a while after: long enough for a gateway that does not wait for it to close its work
            // queue, so the cluster's last step (stopping the scheduler) would never run.
            var workerStopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var registration = first.Stopping.Register(() => _ = Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)
                .ContinueWith(_ => workerStopped.TrySetResult(), TaskScheduler.Default));
            backend.WorkerStopsWaitFor = workerStopped.Task;
            using (var deleted = await alice.DeleteAsync($"api/v1/clusters/{name}"))
            {
                Assert.True(deleted.IsSuccessStatusCode);
            }

            await Eventually.WaitUntilAsync(() => backend.Calls.Contains($"stop-worker {cluster.Workers.Keys.Single()}"), "the worker is being stopped");
            await first.DisposeAsync();

            Assert.Contains($"stop-cluster {name}", backend.Calls);
            Assert.False(backend.HasScheduler(name));
            Assert.Equal(JobStatus.Stopped, cluster.Status);
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using var second = await StartAsync(port, stopClustersOnShutdown: false);
        using var client = second.Client("alice");
        Assert.Equal("STOPPED", (await client.GetJsonAsync($"api/v1/clusters/{name}"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ClusterDeletedByAnOtherRun_IsGoneAfterItsRetention()
    {
        var port = Eventually.FreeLoopbackPort();
        await using (var first = await StartAsync(port, stopClustersOnShutdown: true))
        {
            using var alice = first.Client("alice");
            var name = await alice.CreateClusterAsync();
            await alice.WaitForStatusAsync(name, "RUNNING");
            using (await alice.DeleteAsync($"api/v1/clusters/{name}"))
            {
            }

            await alice.WaitForStatusAsync(name, "STOPPED");
        }

        await using var second = await StartAsync(port, stopClustersOnShutdown: true, ("DBBackendBase.DbClusterMaxAge", 0));
        using var client = second.Client("alice");
        await Eventually.WaitUntilAsync(() => !second.Registry.All.Any(), "the old record is deleted");
        Assert.Empty((await client.GetJsonAsync("api/v1/clusters/?status=STOPPED")).AsObject());
    }
}
