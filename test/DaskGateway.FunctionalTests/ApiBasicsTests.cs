using System.Net;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

public sealed class ApiBasicsTests
{
    [Fact]
    public async Task Health_AnswersPassWithoutAuthentication()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var client = new HttpClient { BaseAddress = gateway.ApiBase };

        using var response = await client.GetAsync("api/health", TestContext.Current.CancellationToken);
        var body = await GatewayClient.ReadJsonAsync(response, HttpStatusCode.OK);

        Assert.Equal("""{"status":"pass"}""", body.ToJsonString());
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
    }

    [Fact]
    public async Task Version_IsReportedWithoutAuthentication()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var client = new HttpClient { BaseAddress = gateway.ApiBase };

        using var response = await client.GetAsync("api/version", TestContext.Current.CancellationToken);
        var body = await GatewayClient.ReadJsonAsync(response, HttpStatusCode.OK);

        Assert.Matches(@"^\d+\.\d+\.\d+$", body["version"]!.GetValue<string>());
    }

    [Fact]
    public async Task BothListeners_ServeTheApi()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var client = new HttpClient();

        foreach (var address in new[] { gateway.PublicAddress, gateway.PrivateAddress })
        {
            using var response = await client.GetAsync(new Uri(address, "api/health"), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.NotEqual(gateway.PublicAddress.Port, gateway.PrivateAddress.Port);
    }

    [Theory]
    [InlineData("api/v1/clusters")]
    [InlineData("api/v1/options/")]
    [InlineData("api/health/")]
    [InlineData("api/v1/clusters/abc/")]
    [InlineData("api/v1/clusters/abc/scale/")]
    [InlineData("api/v1/clusters/abc/other")]
    [InlineData("api/v1/clusters//scale")]
    [InlineData("api/v2/clusters/")]
    [InlineData("nothing/here")]
    public async Task UnknownRoutes_Are404WithAJsonError(string path)
    {
        await using var gateway = await TestGateway.StartAsync();
        using var client = gateway.Client("alice");

        using var response = await client.GetAsync(path);

        Assert.Equal("Not Found", await GatewayClient.ReadErrorAsync(response, HttpStatusCode.NotFound));
    }

    [Theory]
    [InlineData("PUT", "api/v1/clusters/", "GET, POST")]
    [InlineData("DELETE", "api/v1/clusters/", "GET, POST")]
    [InlineData("POST", "api/v1/clusters/abc", "GET, DELETE")]
    [InlineData("GET", "api/v1/clusters/abc/scale", "POST")]
    [InlineData("GET", "api/v1/clusters/abc/heartbeat", "POST")]
    [InlineData("POST", "api/health", "GET")]
    [InlineData("DELETE", "api/v1/options", "GET")]
    public async Task WrongMethods_Are405WithAllow(string method, string path, string allowed)
    {
        await using var gateway = await TestGateway.StartAsync();
        using var client = gateway.Client("alice");

        using var response = await client.SendAsync(new HttpMethod(method), path, null);

        var message = await GatewayClient.ReadErrorAsync(response, HttpStatusCode.MethodNotAllowed);
        Assert.Contains(method, message, StringComparison.Ordinal);
        Assert.Equal(allowed, string.Join(", ", response.Content.Headers.Allow));
    }

    [Fact]
    public async Task Prefix_IsServedOnThePublicListenerOnly()
    {
        await using var gateway = await TestGateway.StartAsync(("Proxy.Prefix", "/services/dask-gateway/"));
        using var client = new HttpClient();
        var token = TestContext.Current.CancellationToken;

        using var prefixed = await client.GetAsync(new Uri(gateway.PublicAddress, "services/dask-gateway/api/health"), token);
        using var unprefixed = await client.GetAsync(new Uri(gateway.PublicAddress, "api/health"), token);
        using var privateApi = await client.GetAsync(new Uri(gateway.PrivateAddress, "api/health"), token);

        Assert.Equal(HttpStatusCode.OK, prefixed.StatusCode);
        Assert.Equal("Not Found", await GatewayClient.ReadErrorAsync(unprefixed, HttpStatusCode.NotFound));
        Assert.Equal(HttpStatusCode.OK, privateApi.StatusCode);
        using var alice = gateway.Client("alice");
        Assert.Empty((await alice.GetJsonAsync("api/v1/clusters/")).AsObject());
    }
}
