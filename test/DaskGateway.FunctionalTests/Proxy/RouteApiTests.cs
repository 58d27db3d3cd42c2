using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DaskGateway.Tests.Infrastructure;
using static DaskGateway.Tests.Proxy.ProxyFixtures;

namespace DaskGateway.Tests.Proxy;

/// <summary><c>GET /api/v1/routes</c> on the private listener (protocol.md §2.5).</summary>
public sealed class RouteApiTests
{
    private const string Token = "route-api-token";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static HttpRequestMessage Request(Uri url, string? token = Token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("token", token);
        }

        return request;
    }

    private static Task<TestGateway> StartAsync() => ProxyFixtures.StartAsync(("Proxy.ApiToken", Token));

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    public async Task WithoutTheToken_Is401InPlainText(string? token)
    {
        await using var gateway = await StartAsync();

        using var response = await Http.SendAsync(Request(new Uri(gateway.PrivateAddress, "api/v1/routes"), token), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("token", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("401: Unauthorized", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task PublicListener_HasNoRouteApi()
    {
        await using var gateway = await StartAsync();

        using var response = await Http.SendAsync(Request(new Uri(gateway.PublicAddress, "api/v1/routes")), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task FullTable_HasTheApiRouteAndEachRunningClustersRoutes()
    {
        await using var gateway = await StartAsync();
        using var alice = gateway.Client("alice");
        var (name, _, _) = await RunningClusterAsync(alice);
        var scheduler = gateway.Backend<InProcessBackend>().Scheduler(name);

        using var response = await Http.SendAsync(Request(new Uri(gateway.PrivateAddress, "api/v1/routes")), TestContext.Current.CancellationToken);
        var table = await GatewayClient.ReadJsonAsync(response, HttpStatusCode.OK);

        Assert.Equal(3, table["id"]!.GetValue<long>());
        var routes = table["routes"]!.AsArray().Select(r => r!.ToJsonString()).ToList();
        Assert.Equal(
            [
                $$"""{"kind":"PATH","path":"/","target":"http://127.0.0.1:{{gateway.PrivateAddress.Port}}"}""",
                $$"""{"kind":"PATH","path":"/clusters/{{name}}","target":"http://127.0.0.1:{{scheduler.ApiAddress.Port}}"}""",
                $$"""{"kind":"SNI","sni":"{{name}}","target":"{{scheduler.SchedulerAddress}}"}""",
            ],
            routes);
    }

    [Fact]
    public async Task Watch_StreamsEachChangeAsItHappens()
    {
        await using var gateway = await StartAsync();
        using var alice = gateway.Client("alice");
        var lastId = gateway.Routes.LastId;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await Http.SendAsync(Request(new Uri(gateway.PrivateAddress, $"api/v1/routes?watch=1&last_id={lastId}")), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var lines = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));

        var (name, _, _) = await RunningClusterAsync(alice);
        Assert.Equal($"PUT PATH /clusters/{name}", Describe(await lines.ReadLineAsync(timeout.Token)));
        Assert.Equal($"PUT SNI {name}", Describe(await lines.ReadLineAsync(timeout.Token)));

        using (await alice.DeleteAsync($"api/v1/clusters/{name}"))
        {
        }

        Assert.Equal($"DELETE PATH /clusters/{name}", Describe(await lines.ReadLineAsync(timeout.Token)));
        Assert.Equal($"DELETE SNI {name}", Describe(await lines.ReadLineAsync(timeout.Token)));
    }

    [Fact]
    public async Task Watch_FromAnOlderId_StartsWithTheMissedEventsInOneMessage()
    {
        await using var gateway = await StartAsync();
        using var alice = gateway.Client("alice");
        await RunningClusterAsync(alice);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        using var response = await Http.SendAsync(Request(new Uri(gateway.PrivateAddress, "api/v1/routes?watch=true")), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        using var lines = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var first = JsonNode.Parse((await lines.ReadLineAsync(timeout.Token))!)!;

        Assert.Equal([1L, 2, 3], first["events"]!.AsArray().Select(e => e!["id"]!.GetValue<long>()));
    }

    [Theory]
    [InlineData("abc", 422, "invalid `last_id`: abc")]
    [InlineData("1.5", 422, "invalid `last_id`: 1.5")]
    [InlineData("-1", 410, "Gone")]
    [InlineData("99", 410, "Gone")]
    public async Task Watch_WithABadOrUnavailableLastId_IsAPlainTextError(string lastId, int status, string reason)
    {
        await using var gateway = await StartAsync();

        using var response = await Http.SendAsync(Request(new Uri(gateway.PrivateAddress, $"api/v1/routes?watch=0&last_id={lastId}")), TestContext.Current.CancellationToken);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(reason, response.ReasonPhrase);
        Assert.Equal($"{status}: {reason}", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task GatewayRestart_RoutesItsRunningClustersAgainAtOnce()
    {
        var directory = Directory.CreateTempSubdirectory("dask-gateway-routes-");
        var port = Eventually.FreeLoopbackPort();
        var key = DaskGateway.Storage.Encryption.EncryptionKeys.GenerateKey();
        (string, object?)[] Durable(bool stop) =>
        [
            ("DaskGateway.Address", $"127.0.0.1:{port}"),
            ("DBBackendBase.DbUrl", $"sqlite:///{Path.Combine(directory.FullName, "gateway.sqlite")}"),
            ("DBBackendBase.DbEncryptKeys", new[] { key }),
            ("DBBackendBase.StopClustersOnShutdown", stop),
        ];
        string name;
        try
        {
            await using (var first = await ProxyFixtures.StartAsync(Durable(stop: false)))
            {
                using var alice = first.Client("alice");
                name = (await RunningClusterAsync(alice)).Name;
            }

            await using var second = await ProxyFixtures.StartAsync(Durable(stop: true));
            Assert.True(second.Routes.TryGetSni(name, out var target));
            Assert.Equal(second.Backend<InProcessBackend>().Scheduler(name).SchedulerAddress, target);
            Assert.True(second.Routes.TryMatchPath($"/clusters/{name}/status", out _, out _));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string Describe(string? line)
    {
        var events = JsonNode.Parse(line!)!["events"]!.AsArray();
        var change = Assert.Single(events)!;
        var route = change["route"]!;
        var kind = route["kind"]!.GetValue<string>();
        return $"{change["type"]} {kind} {route[kind == "SNI" ? "sni" : "path"]}";
    }
}
