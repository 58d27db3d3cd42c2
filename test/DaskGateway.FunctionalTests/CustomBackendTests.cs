using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

/// <summary>
/// A backend from an extension assembly, not derived from DBBackendBase, hosted by type name
/// (samples/DaskGateway.Samples.CustomBackend): the test plays its external launcher, reading the
/// spool directory and sending the scheduler's heartbeats.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CustomBackendTests
{
    private const string SampleAssembly = "DaskGateway.Samples.CustomBackend.dll";

    private static readonly string[] LoopbackFlags =
        ["--Proxy.Address=127.0.0.1:0", "--DaskGateway.Address=127.0.0.1:0", "--DaskGateway.LogLevel=WARN"];

    [Fact]
    public async Task TheSpoolBackend_LaunchesThroughItsDirectory_RunsOnTheFirstHeartbeat_IsRoutedBySni_AndStops()
    {
        var extensions = Directory.CreateTempSubdirectory("dask-gateway-ext-").FullName;
        File.Copy(Path.Combine(AppContext.BaseDirectory, SampleAssembly), Path.Combine(extensions, SampleAssembly));
        var spool = Path.Combine(Directory.CreateTempSubdirectory("dask-gateway-spool-").FullName, "requests");
        await using var server = ServerProcess.StartIn(null, new Dictionary<string, string?> { ["DASK_GATEWAY_EXTENSION_PATHS"] = extensions },
        [
            .. LoopbackFlags,
            "--DaskGateway.BackendClass=DaskGateway.Samples.CustomBackend.SpoolBackend",
            "--SpoolBackend.Directory=" + spool,
        ]);
        var (publicAddress, privateAddress) = await server.WaitUntilListeningAsync();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(spool));

        using var alice = new GatewayClient(publicAddress, "alice");
        var name = await alice.CreateClusterAsync();
        Assert.Equal("PENDING", (await alice.GetJsonAsync($"api/v1/clusters/{name}"))["status"]!.GetValue<string>());

        // The launcher's side: the request, readable by the gateway's user only.
        var launchFile = Path.Combine(spool, name + ".launch.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(launchFile));
        var launch = JsonNode.Parse(await File.ReadAllTextAsync(launchFile, TestContext.Current.CancellationToken))!;
        Assert.Equal(name, launch["cluster_name"]!.GetValue<string>());
        Assert.Equal("alice", launch["username"]!.GetValue<string>());
        var apiUrl = launch["api_url"]!.GetValue<string>();
        Assert.Equal(new Uri(privateAddress, "api").ToString(), apiUrl);
        var token = launch["api_token"]!.GetValue<string>();
        Assert.Equal(64, token.Length);
        var environment = launch["environment"]!;
        Assert.Equal(name, environment["DASK_GATEWAY_CLUSTER_NAME"]!.GetValue<string>());
        Assert.Equal(apiUrl, environment["DASK_GATEWAY_API_URL"]!.GetValue<string>());
        Assert.Equal(token, environment["DASK_GATEWAY_API_TOKEN"]!.GetValue<string>());
        using var certificate = ClusterTls.Certificate(launch["tls_cert"]!.GetValue<string>(), launch["tls_key"]!.GetValue<string>());
        Assert.Contains(name, certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());

        // A wrong token is refused; the right one, from the launched scheduler, makes the cluster run.
        await using var scheduler = await FakeScheduler.StartAsync(token);
        await using var schedulerTls = ClusterTls.StartScheduler(certificate, "scheduler " + name);
        var heartbeat = SchedulerSide.Heartbeat(scheduler.ApiAddress);
        heartbeat["scheduler_address"] = schedulerTls.TlsAddress;
        var gatewayApi = new Uri(apiUrl[..^"api".Length]);
        using (var refused = await SchedulerSide.HeartbeatAsync(gatewayApi, name, "not-the-token", heartbeat))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var accepted = await SchedulerSide.HeartbeatAsync(gatewayApi, name, token, heartbeat))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        var running = await alice.WaitForStatusAsync(name, "RUNNING");
        Assert.Equal(launch["tls_cert"]!.GetValue<string>(), running["tls_cert"]!.GetValue<string>());
        Assert.Equal(launch["tls_key"]!.GetValue<string>(), running["tls_key"]!.GetValue<string>());
        Assert.Equal($"/clusters/{name}/status", running["dashboard_route"]!.GetValue<string>());

        // Scale requests reach the scheduler's API with the cluster's token.
        using (var scaled = await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 2 }))
        {
            Assert.Equal(HttpStatusCode.OK, scaled.StatusCode);
        }

        Assert.Equal(2, Assert.Single(scheduler.Messages)["count"]!.GetValue<int>());

        var publicEndPoint = new IPEndPoint(IPAddress.Loopback, publicAddress.Port);
        await using (var tls = await ClusterTls.ConnectAsync(publicEndPoint, name, certificate, TestContext.Current.CancellationToken))
        {
            Assert.Equal("scheduler " + name, await ClusterTls.ReadLineAsync(tls));
            await tls.WriteAsync(Encoding.ASCII.GetBytes("ping\n"), TestContext.Current.CancellationToken);
            Assert.Equal("ping", await ClusterTls.ReadLineAsync(tls));
        }

        using (var stopped = await alice.DeleteAsync($"api/v1/clusters/{name}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, stopped.StatusCode);
        }

        var stopFile = Path.Combine(spool, name + ".stop.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(stopFile));
        var stop = JsonNode.Parse(await File.ReadAllTextAsync(stopFile, TestContext.Current.CancellationToken))!;
        Assert.Equal(name, stop["cluster_name"]!.GetValue<string>());
        Assert.Equal("stopped by alice", stop["reason"]!.GetValue<string>());
        var final = await alice.GetJsonAsync($"api/v1/clusters/{name}");
        Assert.Equal("STOPPED", final["status"]!.GetValue<string>());
        Assert.Null(final["tls_key"]);
        Assert.Empty(Directory.EnumerateFiles(spool, "*.partial"));
        await Assert.ThrowsAnyAsync<Exception>(() => ClusterTls.ConnectAsync(publicEndPoint, name, certificate, TestContext.Current.CancellationToken));
        Assert.DoesNotContain("[E ", server.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABackendWithoutAModule_NotDerivedFromDBBackendBase_IsAConfigurationErrorOfBackendClass()
    {
        var extensions = Directory.CreateTempSubdirectory("dask-gateway-ext-").FullName;
        File.WriteAllText(Path.Combine(extensions, "BareBackend.cs"), """
            using DaskGateway.Backends;

            namespace Site;

            public class BareBackend : Backend
            {
            }
            """);

        await using var server = ServerProcess.StartIn(null, new Dictionary<string, string?> { ["DASK_GATEWAY_COMPILE_CACHE"] = "off" },
            ["--extensions", extensions, "--DaskGateway.BackendClass=Site.BareBackend", .. LoopbackFlags]);

        Assert.Equal(1, await server.WaitForExitAsync());
        Assert.Contains(
            "DaskGateway.BackendClass: Site.BareBackend cannot be hosted: mark it with [GatewayBackendModule(typeof(YourModule))], naming an IGatewayBackendModule that registers its IClusterSource, or derive it from DBBackendBase",
            server.StandardError,
            StringComparison.Ordinal);
        Assert.DoesNotContain("listening", server.StandardOutput, StringComparison.Ordinal);
    }
}
