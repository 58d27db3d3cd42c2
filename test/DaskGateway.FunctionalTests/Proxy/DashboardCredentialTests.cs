using System.Collections.Concurrent;
using System.Net;
using DaskGateway.Proxy.Routing;
using DaskGateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace DaskGateway.Tests.Proxy;

/// <summary>
/// A dashboard runs code of the cluster's user on the gateway's origin: it must never see another
/// user's gateway credentials nor plant the gateway's cookie, through the gateway's own public port
/// or through a standalone proxy.
/// </summary>
public sealed class DashboardCredentialTests
{
    private const string Prefix = "/services/dask-gateway";
    private const string Token = "dashboard-credentials-token";
    private const string Authorization = "Basic YWxpY2U6";
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    [Theory]
    [InlineData("")]
    [InlineData(Prefix)]
    public async Task GatewayCookie_IsScopedToTheApi_SoABrowserNeverSendsItToADashboard(string prefix)
    {
        await using var gateway = await TestGateway.StartAsync(("Proxy.Prefix", prefix));
        using var alice = gateway.Client("alice");

        var setCookie = await SignInAsync(alice);

        Assert.Matches($"^dask-gateway-[0-9a-f]{{32}}=[0-9a-f]{{32}}; Max-Age=600; Path={prefix}/api; HttpOnly; SameSite=Lax$", setCookie);
        Assert.Single(alice.Cookies.GetCookies(new Uri(gateway.PublicAddress, prefix + "/api/v1/clusters/")));
        Assert.Empty(alice.Cookies.GetCookies(new Uri(gateway.PublicAddress, prefix + "/clusters/spy/status")));
    }

    [Fact]
    public async Task GatewayCookie_OverHttps_IsSecure_SoABrowserNeverSendsItInClearText()
    {
        var directory = Directory.CreateTempSubdirectory("dask-gateway-https-");
        try
        {
            var (certificate, settings) = await ProxyFixtures.GatewayCertificateAsync(directory);
            using var _ = certificate;
            await using var gateway = await TestGateway.StartAsync([.. settings, ("Proxy.Prefix", Prefix)]);
            using var alice = new GatewayClient(gateway.ApiBase, () => Authorization, ProxyFixtures.Pinned(certificate));

            var setCookie = await SignInAsync(alice);

            Assert.EndsWith($"; Path={Prefix}/api; HttpOnly; SameSite=Lax; Secure", setCookie, StringComparison.Ordinal);
            Assert.Single(alice.Cookies.GetCookies(new Uri(gateway.ApiBase, "api/v1/clusters/")));
            Assert.Empty(alice.Cookies.GetCookies(new UriBuilder(new Uri(gateway.ApiBase, "api/v1/clusters/")) { Scheme = "http" }.Uri));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task MaliciousDashboard_GetsNoGatewayCookieNorAuthorization_AndCannotPlantTheCookie()
    {
        await using var gateway = await TestGateway.StartAsync(("Proxy.Prefix", Prefix));
        using var alice = gateway.Client("alice");
        var gatewayCookie = CookiePair(await SignInAsync(alice));
        await using var dashboard = await DashboardStandIn.StartAsync(gatewayCookie.Name);
        gateway.Routes.Put(ProxyRoute.Path(Prefix + "/clusters/spy", dashboard.Address));

        await AssertCredentialsWithheldAsync(new Uri(gateway.PublicAddress, Prefix + "/clusters/spy/status"), gatewayCookie, dashboard);
    }

    [Fact]
    public async Task MaliciousDashboard_BehindAStandaloneProxy_GetsNoGatewayCookieNorAuthorization_AndCannotPlantTheCookie()
    {
        await using var gateway = await TestGateway.StartAsync(("Proxy.ApiToken", Token), ("Proxy.Prefix", Prefix));
        await using var proxy = ServerProcess.Start("proxy", "--Proxy.Address=127.0.0.1:0", $"--Proxy.Prefix={Prefix}", $"--Proxy.GatewayUrl={gateway.PrivateAddress}", $"--Proxy.ApiToken={Token}", "--log-level", "WARN");
        var proxyAddress = await proxy.WaitUntilProxyListeningAsync();
        using var alice = new GatewayClient(new Uri(proxyAddress, Prefix + "/"), "alice");

        // Through the proxy, the cookie is still scoped to the public API path.
        var setCookie = await SignInAsync(alice);
        Assert.Contains($"; Path={Prefix}/api;", setCookie, StringComparison.Ordinal);
        var gatewayCookie = CookiePair(setCookie);
        await using var dashboard = await DashboardStandIn.StartAsync(gatewayCookie.Name);
        gateway.Routes.Put(ProxyRoute.Path(Prefix + "/clusters/spy", dashboard.Address));
        var page = new Uri(proxyAddress, Prefix + "/clusters/spy/status");
        await WaitUntilRoutedAsync(page);

        await AssertCredentialsWithheldAsync(page, gatewayCookie, dashboard);
    }

    /// <summary>The client's handshake; the <c>Set-Cookie</c> the gateway answered it with.</summary>
    private static async Task<string> SignInAsync(GatewayClient client)
    {
        using var response = await client.GetAsync("api/v1/clusters/");
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.OK], client.LastExchange);
        return Assert.Single(response.Headers.GetValues(HeaderNames.SetCookie));
    }

    private static (string Name, string Value) CookiePair(string setCookie)
    {
        var pair = setCookie.Split(';')[0].Split('=');
        return (pair[0], pair[1]);
    }

    /// <summary>A browser that holds the gateway's cookie (and sends credentials) visits the dashboard.</summary>
    private static async Task AssertCredentialsWithheldAsync(Uri page, (string Name, string Value) gatewayCookie, DashboardStandIn dashboard)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, page);
        request.Headers.TryAddWithoutValidation(HeaderNames.Cookie, $"theme=dark; {gatewayCookie.Name}={gatewayCookie.Value}; {gatewayCookie.Name.ToUpperInvariant()}={gatewayCookie.Value}; tab=2");
        request.Headers.TryAddWithoutValidation(HeaderNames.Authorization, Authorization);
        using var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(dashboard.Received);
        Assert.Equal("theme=dark; tab=2", received.Cookie);
        Assert.Equal("", received.Authorization);
        Assert.Equal([DashboardStandIn.OwnCookie], response.Headers.GetValues(HeaderNames.SetCookie));
    }

    private static async Task WaitUntilRoutedAsync(Uri page)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using (var probe = await Http.GetAsync(page, timeout.Token))
            {
                if (probe.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    /// <summary>
    /// A dashboard that records the credentials it is sent and tries to plant the gateway's cookie
    /// (site-wide, and under the API's path) next to a cookie of its own.
    /// </summary>
    private sealed class DashboardStandIn : IAsyncDisposable
    {
        public const string OwnCookie = "dashboard-session=1; Path=/";

        private readonly WebApplication _app;
        private readonly ConcurrentQueue<(string Cookie, string Authorization)> _received;

        private DashboardStandIn(WebApplication app, Uri address, ConcurrentQueue<(string, string)> received)
        {
            _app = app;
            Address = address.ToString().TrimEnd('/');
            _received = received;
        }

        public string Address { get; }

        /// <summary>What each request carried, except the probes that waited for the route.</summary>
        public IReadOnlyCollection<(string Cookie, string Authorization)> Received => [.. _received];

        public static async Task<DashboardStandIn> StartAsync(string gatewayCookieName)
        {
            var received = new ConcurrentQueue<(string, string)>();
            var (app, address) = await LoopbackServer.StartAsync(context =>
            {
                var headers = context.Request.Headers;
                if (headers.Cookie.Count > 0 || headers.Authorization.Count > 0)
                {
                    received.Enqueue((headers.Cookie.ToString(), headers.Authorization.ToString()));
                }

                context.Response.Headers.Append(HeaderNames.SetCookie, $"{gatewayCookieName}=planted; Path=/");
                context.Response.Headers.Append(HeaderNames.SetCookie, $"{gatewayCookieName.ToUpperInvariant()}=planted; Path={Prefix}/api");
                context.Response.Headers.Append(HeaderNames.SetCookie, OwnCookie);
                return context.Response.WriteAsync("dashboard");
            });
            return new DashboardStandIn(app, address, received);
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
