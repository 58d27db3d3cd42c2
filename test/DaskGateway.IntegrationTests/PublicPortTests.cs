using System.Net;
using System.Text.Json.Nodes;
using DaskGateway.Clusters;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

/// <summary>
/// The client's view (protocol.md §1.6, §2): real <c>dask-scheduler</c> and <c>dask-worker</c>
/// processes reached only through the gateway's public port, a Python Dask client connecting with
/// TLS and SNI <c>daskgateway-&lt;name&gt;</c> (the <c>gateway://</c> comm in gateway_comm.py), and
/// the scheduler's dashboard page through <c>/clusters/&lt;name&gt;/</c>.
/// </summary>
public sealed class PublicPortTests : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("dask-gateway-public-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task PythonClient_ComputesThroughThePublicPort_TwoClustersKeptApart_DashboardsForwarded()
    {
        await using var gateway = await TestGateway.StartAsync(
            ("DaskGateway.BackendClass", "UnsafeLocalBackend"),
            ("DBBackendBase.ClusterHeartbeatPeriod", 1),
            ("LocalBackend.ClustersDirectory", Path.Combine(_directory.FullName, "clusters")),
            ("ClusterConfig.WorkerMemory", "512M"));
        using var alice = gateway.Client("alice");
        var first = await alice.CreateClusterAsync();
        var second = await alice.CreateClusterAsync();
        var dicts = new Dictionary<string, JsonNode>
        {
            [first] = await alice.WaitForStatusAsync(first, "RUNNING"),
            [second] = await alice.WaitForStatusAsync(second, "RUNNING"),
        };
        var workers = new Dictionary<string, int> { [first] = 1, [second] = 2 };
        foreach (var (name, count) in workers)
        {
            using (await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count }))
            {
            }
        }

        var clusters = gateway.Registry.All.ToDictionary(c => c.Name);
        await Eventually.WaitUntilAsync(() => workers.All(w => RunningWorkers(clusters[w.Key]) == w.Value), "the workers of both clusters are connected", 90);

        // The client's address for a cluster: gateway://<public host>:<public port>/<name>.
        var proxy = $"gateway://127.0.0.1:{gateway.PublicAddress.Port}";
        foreach (var (name, count) in workers)
        {
            var output = await ComputeAsync($"{proxy}/{name}", dicts[name]);
            Assert.Contains($"result=45 squares=2470 workers={count} scheduler={clusters[name].SchedulerAddress}", output, StringComparison.Ordinal);
        }

        // One cluster's credentials do not open the other's scheduler.
        var (exitCode, crossed) = await DaskProcesses.ComputeAsync($"{proxy}/{second}", dicts[first]["tls_cert"]!.GetValue<string>(), dicts[first]["tls_key"]!.GetValue<string>());
        Assert.True(exitCode != 0, crossed);
        Assert.Contains("certificate", crossed, StringComparison.OrdinalIgnoreCase);

        // The dashboard link the client shows: public address + dashboard_route. Without bokeh,
        // distributed serves a page that says so at /status: enough to see forwarding work.
        foreach (var name in workers.Keys)
        {
            var route = dicts[name]["dashboard_route"]!.GetValue<string>();
            Assert.Equal($"/clusters/{name}/status", route);
            using var page = await Http.GetAsync(new Uri(gateway.PublicAddress, route), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("bokeh", await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }

        foreach (var name in workers.Keys)
        {
            using (await alice.DeleteAsync($"api/v1/clusters/{name}"))
            {
            }

            await alice.WaitForStatusAsync(name, "STOPPED");
        }

        using var gone = await Http.GetAsync(new Uri(gateway.PublicAddress, $"clusters/{first}/status"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    private static int RunningWorkers(Cluster cluster)
    {
        lock (cluster.SyncRoot)
        {
            return cluster.Workers.Values.Count(w => w.Status == JobStatus.Running && w.Target == JobStatus.Running);
        }
    }

    private static async Task<string> ComputeAsync(string address, JsonNode dict)
    {
        var (exitCode, output) = await DaskProcesses.ComputeAsync(address, dict["tls_cert"]!.GetValue<string>(), dict["tls_key"]!.GetValue<string>());
        Assert.True(exitCode == 0, output);
        return output;
    }
}
