using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using DaskGateway.Proxy.Routing;
using DaskGateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using static DaskGateway.Tests.Proxy.ProxyFixtures;

namespace DaskGateway.Tests.Proxy;

/// <summary>Dashboards through the public port (protocol.md §2.4): <c>&lt;prefix&gt;/clusters/&lt;name&gt;/...</c>, prefix removed.</summary>
public sealed class DashboardTests
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    [Theory]
    [InlineData("")]
    [InlineData("/services/dask-gateway")]
    public async Task DashboardPage_IsForwardedWithThePrefixRemoved(string prefix)
    {
        await using var gateway = await StartAsync(("Proxy.Prefix", prefix));
        using var alice = gateway.Client("alice");
        var (name, dict, _) = await RunningClusterAsync(alice);
        var route = dict["dashboard_route"]!.GetValue<string>();
        Assert.Equal($"/clusters/{name}/status", route);

        // The client's link: public address + prefix + dashboard_route.
        using var response = await Http.GetAsync(new Uri(gateway.PublicAddress, prefix + route), TestContext.Current.CancellationToken);
        var page = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"dashboard of {name}", page, StringComparison.Ordinal);
        var dashboard = gateway.Backend<InProcessBackend>().Scheduler(name).ApiAddress;
        Assert.Contains($"Host 127.0.0.1:{dashboard.Port};", page, StringComparison.Ordinal);
        Assert.Contains($"X-Forwarded-Prefix {prefix}/clusters/{name}<", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownOrStoppedCluster_Is404WithAJsonError()
    {
        await using var gateway = await StartAsync();
        using var alice = gateway.Client("alice");
        var (name, _, _) = await RunningClusterAsync(alice);
        await AssertNotFoundAsync(new Uri(gateway.PublicAddress, "clusters/0123456789abcdef0123456789abcdef/status"));

        using (await alice.DeleteAsync($"api/v1/clusters/{name}"))
        {
        }

        await alice.WaitForStatusAsync(name, "STOPPED");
        await AssertNotFoundAsync(new Uri(gateway.PublicAddress, $"clusters/{name}/status"));
    }

    [Fact]
    public async Task PrivateListener_ServesNoDashboards()
    {
        await using var gateway = await StartAsync();
        using var alice = gateway.Client("alice");
        var (name, _, _) = await RunningClusterAsync(alice);

        await AssertNotFoundAsync(new Uri(gateway.PrivateAddress, $"clusters/{name}/status"));
    }

    [Fact]
    public async Task UnreachableDashboard_Is502WithAJsonError()
    {
        await using var gateway = await StartAsync();
        gateway.Routes.Put(ProxyRoute.Path("/clusters/gone", $"http://127.0.0.1:{Eventually.FreeLoopbackPort()}"));

        using var response = await Http.GetAsync(new Uri(gateway.PublicAddress, "clusters/gone/status"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.NotNull((await GatewayClient.ReadJsonAsync(response, HttpStatusCode.BadGateway))["error"]);
    }

    [Fact]
    public async Task WebSockets_AreForwarded()
    {
        var (server, address) = await LoopbackServer.StartAsync(EchoWebSocketAsync);
        await using var _ = server;
        await using var gateway = await StartAsync(("Proxy.Prefix", "/hub"));
        gateway.Routes.Put(ProxyRoute.Path("/hub/clusters/ws-test", address.ToString().TrimEnd('/')));

        using var socket = new ClientWebSocket();
        var url = new UriBuilder(gateway.PublicAddress) { Scheme = "ws", Path = "/hub/clusters/ws-test/ws" }.Uri;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(url, timeout.Token);
        foreach (var text in new[] { "first", "second message" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
            var buffer = new byte[1024];
            var received = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.Equal("echo /ws " + text, Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
    }

    private static async Task AssertNotFoundAsync(Uri url)
    {
        using var response = await Http.GetAsync(url, TestContext.Current.CancellationToken);
        var body = await GatewayClient.ReadJsonAsync(response, HttpStatusCode.NotFound);
        Assert.IsType<JsonValue>(body["error"], exactMatch: false);
    }

    /// <summary>A small WebSocket server: echoes each text message with the path it was reached at (the forwarded one).</summary>
    private static async Task EchoWebSocketAsync(HttpContext context)
    {
        var upgrade = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>()!;
        if (!upgrade.IsUpgradableRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        // The handshake of RFC 6455 §4.2.2, by hand: the loopback server has no WebSocket middleware.
        var key = context.Request.Headers["Sec-WebSocket-Key"].ToString();
#pragma warning disable CA5350 // RFC 6455 specifies SHA-1 for the accept key; it protects nothing.
        var accept = Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
        context.Response.StatusCode = StatusCodes.Status101SwitchingProtocols;
        context.Response.Headers.Connection = "Upgrade";
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers["Sec-WebSocket-Accept"] = accept;
        var stream = await upgrade.UpgradeAsync();
        using var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true });
        var path = context.Request.Path.Value;
        var buffer = new byte[1024];
        while (true)
        {
            var message = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (message.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                return;
            }

            var reply = Encoding.UTF8.GetBytes($"echo {path} " + Encoding.UTF8.GetString(buffer, 0, message.Count));
            await socket.SendAsync(reply, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }
    }
}
