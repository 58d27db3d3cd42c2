using System.Diagnostics;
using System.Net;
using DaskGateway.Tests.Infrastructure;
using static DaskGateway.Tests.Proxy.ProxyFixtures;

namespace DaskGateway.Tests.Proxy;

/// <summary><c>dask-gateway-server proxy</c>: the real executable following an API server's routes (design.md §2).</summary>
public sealed class StandaloneProxyTests
{
    private const string Token = "standalone-token";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Proxy_PicksUpRoutesWithinASecondOfRunning_AndDropsThemAtStop()
    {
        await using var gateway = await ProxyFixtures.StartAsync(("Proxy.ApiToken", Token));
        await using var proxy = ServerProcess.Start("proxy", "--Proxy.Address=127.0.0.1:0", $"--Proxy.GatewayUrl={gateway.PrivateAddress}", $"--Proxy.ApiToken={Token}", "--log-level", "WARN");
        var proxyAddress = await proxy.WaitUntilProxyListeningAsync();
        var proxyEndPoint = new IPEndPoint(IPAddress.Loopback, proxyAddress.Port);

        // The API itself goes through the proxy to the API server.
        using var alice = new GatewayClient(proxyAddress, "alice");
        Assert.Equal("pass", (await alice.GetJsonAsync("api/health"))["status"]!.GetValue<string>());
        var (name, _, certificate) = await RunningClusterAsync(alice);

        var picked = await TimeUntilAsync(proxyAddress, name, HttpStatusCode.OK);
        Assert.True(picked < TimeSpan.FromSeconds(1), $"the proxy routed the dashboard {picked.TotalMilliseconds:F0} ms after RUNNING");
        await using (var tls = await ClusterTls.ConnectAsync(proxyEndPoint, name, certificate, TestContext.Current.CancellationToken))
        {
            Assert.Equal("scheduler " + name, await ClusterTls.ReadLineAsync(tls));
        }

        using (await alice.DeleteAsync($"api/v1/clusters/{name}"))
        {
        }

        await alice.WaitForStatusAsync(name, "STOPPED");
        var dropped = await TimeUntilAsync(proxyAddress, name, HttpStatusCode.NotFound);
        Assert.True(dropped < TimeSpan.FromSeconds(1), $"the proxy still routed the dashboard {dropped.TotalMilliseconds:F0} ms after STOPPED");
        using var socket = await ConnectAsync(proxyEndPoint);
        await socket.SendAsync(ClientHelloBuilder.Build("daskgateway-" + name), TestContext.Current.CancellationToken);
        Assert.Empty(await ReceiveToEndAsync(socket));
    }

    [Fact]
    public async Task Proxy_WithoutGatewayUrlOrToken_RefusesToStart()
    {
        await using var proxy = ServerProcess.Start("proxy", "--Proxy.Address=127.0.0.1:0");

        Assert.Equal(1, await proxy.WaitForExitAsync());
        Assert.Contains("GatewayUrl", proxy.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_WithTlsCertButNoKey_RefusesToStart()
    {
        await using var server = ServerProcess.Start("--Proxy.Address=127.0.0.1:0", "--Proxy.TlsCert=/nonexistent/cert.pem");

        Assert.Equal(1, await server.WaitForExitAsync());
        Assert.Contains("Must set both tls_cert and tls_key", server.StandardError, StringComparison.Ordinal);
    }

    /// <summary>How long until the proxy answers the cluster's dashboard page with <paramref name="status"/> (polled every 10 ms, 10 s at most).</summary>
    private static async Task<TimeSpan> TimeUntilAsync(Uri proxy, string cluster, HttpStatusCode status)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            using var response = await Http.GetAsync(new Uri(proxy, $"clusters/{cluster}/status"), TestContext.Current.CancellationToken);
            if (response.StatusCode == status)
            {
                return watch.Elapsed;
            }

            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        return watch.Elapsed;
    }
}
