using System.Net;
using System.Text.Json.Nodes;
using DaskGateway.Clusters;
using DaskGateway.Storage.Encryption;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

/// <summary>
/// The local backend with real <c>dask-scheduler</c> and <c>dask-worker</c> processes (Debian's
/// distributed), short periods, and a Python Dask client computing over TLS.
/// </summary>
public sealed class LocalBackendTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("dask-gateway-local-");

    public void Dispose() => _directory.Delete(recursive: true);

    private (string, object?)[] Settings(params (string, object?)[] more) =>
    [
        ("DaskGateway.BackendClass", "UnsafeLocalBackend"),
        ("DBBackendBase.ClusterHeartbeatPeriod", 1),
        ("DBBackendBase.ClusterHeartbeatTimeout", 6),
        ("DBBackendBase.ClusterStatusPeriod", 1),
        ("DBBackendBase.WorkerStatusPeriod", 1),
        ("DBBackendBase.ClusterStartTimeout", 60),
        ("LocalBackend.ClustersDirectory", Path.Combine(_directory.FullName, "clusters")),
        ("LocalBackend.SigintTimeout", 3),
        ("ClusterConfig.WorkerMemory", "512M"),
        ("ClusterConfig.AdaptivePeriod", 1),
        .. more,
    ];


    private static async Task<JsonArray> EventsAsync(GatewayClient client, string cluster) =>
        (await client.GetJsonAsync($"api/v1/clusters/{cluster}/events"))["events"]!.AsArray();

    private static int RunningWorkers(Cluster cluster)
    {
        lock (cluster.SyncRoot)
        {
            return cluster.Workers.Values.Count(w => w.Status == JobStatus.Running && w.Target == JobStatus.Running);
        }
    }

    private static async Task<string> ComputeAsync(Cluster cluster, JsonNode dict)
    {
        var (exitCode, output) = await DaskProcesses.ComputeAsync(cluster.SchedulerAddress, dict["tls_cert"]!.GetValue<string>(), dict["tls_key"]!.GetValue<string>());
        Assert.True(exitCode == 0, output);
        return output;
    }

    [Fact]
    public async Task Cluster_RunsScalesComputesAdaptsAndStopsLeavingNoProcess()
    {
        await using var gateway = await TestGateway.StartAsync(Settings());
        using var alice = gateway.Client("alice");

        var name = await alice.CreateClusterAsync();
        var running = await alice.WaitForStatusAsync(name, "RUNNING");
        var cluster = gateway.Registry.All.Single();
        Assert.StartsWith("tls://127.0.0.1:", cluster.SchedulerAddress, StringComparison.Ordinal);

        using (await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 2 }))
        {
        }

        await Eventually.WaitUntilAsync(() => RunningWorkers(cluster) == 2, "two workers are connected");
        Assert.Contains("result=45 squares=2470 workers=2", await ComputeAsync(cluster, running), StringComparison.Ordinal);

        // Adaptive between 0 and 2 with nothing to do goes down to no workers.
        using (var adapt = await alice.PostJsonAsync($"api/v1/clusters/{name}/adapt", new { minimum = 0, maximum = 2, active = true }))
        {
            Assert.Equal(HttpStatusCode.OK, adapt.StatusCode);
        }

        await Eventually.WaitUntilAsync(() => RunningWorkers(cluster) == 0 && cluster.Count == 0, "adaptive scaling retires the idle workers");
        List<int> workerPids;
        lock (cluster.SyncRoot)
        {
            workerPids = [.. cluster.Workers.Values.Select(w => w.State["pid"]!.GetValue<int>())];
        }

        Assert.Equal(2, workerPids.Count);
        await Eventually.WaitUntilAsync(() => !DaskProcesses.OfCluster(name).Intersect(workerPids).Any(), "the retired workers' processes end");

        // With no workers, work can only finish if adaptive scaling starts some.
        Assert.Contains("result=45 squares=2470", await ComputeAsync(cluster, running), StringComparison.Ordinal);
        lock (cluster.SyncRoot)
        {
            Assert.InRange(cluster.Workers.Count, 3, 4);
        }

        await Eventually.WaitUntilAsync(() => RunningWorkers(cluster) == 0 && cluster.Count == 0, "adaptive scaling retires the workers again");

        using (var stop = await alice.DeleteAsync($"api/v1/clusters/{name}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, stop.StatusCode);
        }

        await alice.WaitForStatusAsync(name, "STOPPED");
        Assert.Empty(DaskProcesses.OfCluster(name));
        Assert.False(Directory.Exists(Path.Combine(_directory.FullName, "clusters", name)));
    }

    [Fact]
    public async Task KilledScheduler_FailsTheClusterAndFreesItsWorkers()
    {
        await using var gateway = await TestGateway.StartAsync(Settings());
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        await alice.WaitForStatusAsync(name, "RUNNING");
        var cluster = gateway.Registry.All.Single();
        using (await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 2 }))
        {
        }

        await Eventually.WaitUntilAsync(() => RunningWorkers(cluster) == 2, "two workers are connected");
        var schedulerPid = cluster.State["pid"]!.GetValue<int>();

        Backends.NativeMethodsForTests.Kill(schedulerPid);

        await alice.WaitForStatusAsync(name, "FAILED");
        await Eventually.WaitUntilAsync(() => DaskProcesses.OfCluster(name).Count == 0, "no process of the cluster is left", 30);
        Assert.Contains(await EventsAsync(alice, name), e => e!["message"]!.GetValue<string>().Contains("the scheduler", StringComparison.Ordinal) && e["kind"]!.GetValue<string>() == "failing");
    }

    [Fact]
    public async Task KilledWorker_IsReplaced()
    {
        await using var gateway = await TestGateway.StartAsync(Settings());
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        var running = await alice.WaitForStatusAsync(name, "RUNNING");
        var cluster = gateway.Registry.All.Single();
        using (await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 2 }))
        {
        }

        await Eventually.WaitUntilAsync(() => RunningWorkers(cluster) == 2, "two workers are connected");
        Worker victim;
        lock (cluster.SyncRoot)
        {
            victim = cluster.Workers.Values.First(w => w.Status == JobStatus.Running);
        }

        Backends.NativeMethodsForTests.Kill(victim.State["pid"]!.GetValue<int>());

        await Eventually.WaitUntilAsync(() => victim.Status >= JobStatus.Stopped && RunningWorkers(cluster) == 2, "a replacement worker is connected");
        Assert.Contains("workers=2", await ComputeAsync(cluster, running), StringComparison.Ordinal);
        Assert.Equal("RUNNING", (await alice.GetJsonAsync($"api/v1/clusters/{name}"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task IdleCluster_StopsItself()
    {
        await using var gateway = await TestGateway.StartAsync(Settings(("ClusterConfig.IdleTimeout", 2)));
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        await alice.WaitForStatusAsync(name, "RUNNING");

        await alice.WaitForStatusAsync(name, "STOPPED");

        Assert.Contains(await EventsAsync(alice, name), e => e!["message"]!.GetValue<string>().Contains("stopped by its scheduler", StringComparison.Ordinal));
        Assert.Empty(DaskProcesses.OfCluster(name));
    }

    [Fact]
    public async Task GatewayRestart_ReadoptsARunningClusterThatStillComputes()
    {
        var port = Eventually.FreeLoopbackPort();
        var key = EncryptionKeys.GenerateKey();
        var database = Path.Combine(_directory.FullName, "gateway.sqlite");
        (string, object?)[] durable = [("DaskGateway.Address", $"127.0.0.1:{port}"), ("DBBackendBase.DbUrl", $"sqlite:///{database}"), ("DBBackendBase.DbEncryptKeys", new[] { key })];
        string name;
        await using (var first = await TestGateway.StartAsync(Settings([.. durable, ("DBBackendBase.StopClustersOnShutdown", false)])))
        {
            using var alice = first.Client("alice");
            name = await alice.CreateClusterAsync();
            await alice.WaitForStatusAsync(name, "RUNNING");
            using (await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 1 }))
            {
            }

            var cluster = first.Registry.All.Single();
            await Eventually.WaitUntilAsync(() => RunningWorkers(cluster) == 1, "a worker is connected");
        }

        // The scheduler and the worker (a nanny and its worker process) outlive the gateway; if this
        // test fails before the second gateway stops them, they must not outlive the test.
        using var cleanup = new KillOnDispose(name);
        Assert.True(DaskProcesses.OfCluster(name).Count >= 3);
        await using var second = await TestGateway.StartAsync(Settings([.. durable, ("DBBackendBase.StopClustersOnShutdown", true)]));
        using var client = second.Client("alice");
        var readopted = await client.GetJsonAsync($"api/v1/clusters/{name}");
        Assert.Equal("RUNNING", readopted["status"]!.GetValue<string>());
        var adopted = second.Registry.All.Single();
        Assert.Contains("result=45 squares=2470 workers=1", await ComputeAsync(adopted, readopted), StringComparison.Ordinal);

        using (await client.DeleteAsync($"api/v1/clusters/{name}"))
        {
        }

        await client.WaitForStatusAsync(name, "STOPPED");
        Assert.Empty(DaskProcesses.OfCluster(name));
    }

    [Fact]
    public async Task BadCommandsAndDirectories_FailTheClusterWithTheCause_AndOthersStillRun()
    {
        var unwritable = Path.Combine(_directory.FullName, "not-a-directory");
        await File.WriteAllTextAsync(unwritable, "a file where the clusters directory should be", TestContext.Current.CancellationToken);
        var options = new Options(
            Option.Select("mode", ["good", "no-scheduler", "crashing-worker", "bad-directory"]),
            handler: values => values.GetString("mode") switch
            {
                "no-scheduler" => new Dictionary<string, object?> { ["scheduler_cmd"] = "dask-scheduler-that-does-not-exist" },
                "crashing-worker" => new Dictionary<string, object?> { ["worker_cmd"] = new[] { "/bin/sh", "-c", "echo 'worker cannot start: no GPU' >&2; exit 3" } },
                _ => new Dictionary<string, object?>(),
            });
        await using var gateway = await TestGateway.StartAsync(Settings(("Backend.ClusterOptions", options)));
        using var alice = gateway.Client("alice");

        var noScheduler = await alice.CreateClusterAsync(new { mode = "no-scheduler" });
        var crashing = await alice.CreateClusterAsync(new { mode = "crashing-worker" });
        await alice.WaitForStatusAsync(noScheduler, "FAILED");
        Assert.Contains(await EventsAsync(alice, noScheduler), e => e!["message"]!.GetValue<string>().Contains("'dask-scheduler-that-does-not-exist' was not found on PATH", StringComparison.Ordinal));

        await alice.WaitForStatusAsync(crashing, "RUNNING");
        using (await alice.PostJsonAsync($"api/v1/clusters/{crashing}/scale", new { count = 1 }))
        {
        }

        await alice.WaitForStatusAsync(crashing, "FAILED");
        var events = await EventsAsync(alice, crashing);
        Assert.Contains(events, e => e!["message"]!.GetValue<string>().Contains("exited with code 3", StringComparison.Ordinal)
            && e["message"]!.GetValue<string>().Contains("worker cannot start: no GPU", StringComparison.Ordinal));
        Assert.Contains(events, e => e!["message"]!.GetValue<string>().Contains("consecutive worker start failures", StringComparison.Ordinal));

        var good = await alice.CreateClusterAsync(new { mode = "good" });
        await alice.WaitForStatusAsync(good, "RUNNING");
        using (await alice.DeleteAsync($"api/v1/clusters/{good}"))
        {
        }

        await alice.WaitForStatusAsync(good, "STOPPED");
        Assert.Empty(DaskProcesses.OfCluster(crashing));
        Assert.Empty(DaskProcesses.OfCluster(noScheduler));

        await using var broken = await TestGateway.StartAsync(Settings(("LocalBackend.ClustersDirectory", unwritable)));
        using var bob = broken.Client("bob");
        var homeless = await bob.CreateClusterAsync();
        await bob.WaitForStatusAsync(homeless, "FAILED");
        Assert.Contains(await EventsAsync(bob, homeless), e => e!["message"]!.GetValue<string>().Contains($"cannot create the cluster directory {Path.Combine(unwritable, homeless)}", StringComparison.Ordinal));
    }


    private sealed class KillOnDispose(string clusterName) : IDisposable
    {
        public void Dispose() => DaskProcesses.KillAll(clusterName);
    }
}
