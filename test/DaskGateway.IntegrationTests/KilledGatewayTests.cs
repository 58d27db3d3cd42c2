using DaskGateway.Backends;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

/// <summary>
/// The real <c>dask-gateway-server</c> executable on its embedded defaults, killed with SIGKILL (a crash,
/// the OOM killer) while a cluster of real Dask processes runs, and started again in the same directory.
/// </summary>
public sealed class KilledGatewayTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("dask-gateway-killed-");

    public void Dispose() => _directory.Delete(recursive: true);

    private ServerProcess Start() => ServerProcess.StartIn(
        _directory.FullName,
        new Dictionary<string, string?> { ["DASK_GATEWAY_ENCRYPT_KEYS"] = null },
        "--Proxy.Address=127.0.0.1:0",
        "--DBBackendBase.ClusterHeartbeatPeriod=1",
        "--DBBackendBase.ClusterHeartbeatTimeout=6",
        "--DBBackendBase.ClusterStatusPeriod=1",
        "--DBBackendBase.WorkerStatusPeriod=1",
        "--LocalBackend.ClustersDirectory=" + Path.Combine(_directory.FullName, "clusters"),
        "--ClusterConfig.WorkerMemory=512M");

    [Fact]
    public async Task GatewayKilledAndRestartedOnDefaults_StillHearsItsRunningClusters_WhichKeepComputing()
    {
        string? name = null;
        try
        {
            int privatePort;
            await using (var first = Start())
            {
                var (publicAddress, privateAddress) = await first.WaitUntilListeningAsync();
                privatePort = privateAddress.Port;
                using var alice = new GatewayClient(publicAddress, "alice");
                name = await alice.CreateClusterAsync();
                await alice.WaitForStatusAsync(name, "RUNNING");
                using (await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 1 }))
                {
                }

                // The scheduler, and the worker's nanny and process, run on their own.
                await Eventually.WaitUntilAsync(() => DaskProcesses.OfCluster(name).Count >= 3, "the worker is started", 90);
                NativeMethodsForTests.Kill(first.Id);
                await first.WaitForExitAsync();
            }

            await using var second = Start();
            var (secondPublic, secondPrivate) = await second.WaitUntilListeningAsync();
            Assert.Equal(privatePort, secondPrivate.Port);
            using var client = new GatewayClient(secondPublic, "alice");

            // Many heartbeat timeouts: a gateway that cannot hear the scheduler has failed the cluster by then.
            await Task.Delay(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            var dict = await client.GetJsonAsync($"api/v1/clusters/{name}");
            Assert.True(dict["status"]!.GetValue<string>() == "RUNNING", second.StandardOutput);
            var (exitCode, output) = await DaskProcesses.ComputeAsync(
                $"gateway://127.0.0.1:{secondPublic.Port}/{name}", dict["tls_cert"]!.GetValue<string>(), dict["tls_key"]!.GetValue<string>());
            Assert.True(exitCode == 0, output);
            Assert.Contains("result=45 squares=2470 workers=1", output, StringComparison.Ordinal);

            using (await client.DeleteAsync($"api/v1/clusters/{name}"))
            {
            }

            await client.WaitForStatusAsync(name, "STOPPED");
            await Eventually.WaitUntilAsync(() => DaskProcesses.OfCluster(name).Count == 0, "every process of the cluster has ended");
        }
        finally
        {
            if (name is not null)
            {
                DaskProcesses.KillAll(name);
            }
        }
    }

    [Fact]
    public async Task SavedPrivatePortTakenByAnotherProcess_IsSaidInTheLog_AndTheGatewayStillStarts()
    {
        int privatePort;
        await using (var first = Start())
        {
            privatePort = (await first.WaitUntilListeningAsync()).Private.Port;
        }

        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, privatePort);
        squatter.Start();
        await using var second = Start();

        var (_, privateAddress) = await second.WaitUntilListeningAsync();

        Assert.NotEqual(privatePort, privateAddress.Port);
        await Eventually.WaitUntilAsync(
            () => second.StandardOutput.Contains($"Private API port {privatePort}", StringComparison.Ordinal)
                && second.StandardOutput.Contains("is in use by another process", StringComparison.Ordinal),
            "the log says the saved port is taken");
    }
}
