using System.Net;
using System.Text;
using DaskGateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace DaskGateway.Tests;

public sealed class AuthenticationTests
{
    [Fact]
    public async Task Handshake_401ThenBasicThenCookie()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var client = gateway.Client("alice");

        using (var first = await client.GetAsync("api/v1/clusters/"))
        {
            Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.OK], client.LastExchange);
            var setCookie = Assert.Single(first.Headers.GetValues("Set-Cookie"));
            Assert.Matches("^dask-gateway-[0-9a-f]{32}=[0-9a-f]{32}; Max-Age=600; Path=/api; HttpOnly; SameSite=Lax$", setCookie);
            Assert.Equal("{}", (await GatewayClient.ReadJsonAsync(first, HttpStatusCode.OK)).ToJsonString());
        }

        using var second = await client.GetAsync("api/v1/clusters/");
        Assert.Equal([HttpStatusCode.OK], client.LastExchange);
        Assert.False(second.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Challenge_NamesBasicAndExplainsInJson()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var client = new HttpClient { BaseAddress = gateway.ApiBase };

        using var response = await client.GetAsync("api/v1/options", TestContext.Current.CancellationToken);

        Assert.Equal("Authentication required", await GatewayClient.ReadErrorAsync(response, HttpStatusCode.Unauthorized));
        Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().ToString());
    }

    [Fact]
    public async Task SharedPassword_WrongIs401_RightIsAccepted()
    {
        await using var gateway = await TestGateway.StartAsync(("SimpleAuthenticator.Password", "s3cret"));
        using var wrong = gateway.Client("alice", "nope");
        using var right = gateway.Client("alice", "s3cret");

        using var rejected = await wrong.GetAsync("api/v1/clusters/");
        using var accepted = await right.GetAsync("api/v1/clusters/");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], wrong.LastExchange);
        Assert.Equal("Invalid user name or password", await GatewayClient.ReadErrorAsync(rejected, HttpStatusCode.Unauthorized));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    public static TheoryData<string> MalformedAuthorization => new()
    {
        "Basic",
        "Basic ",
        "Basic !!!",
        "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("no-colon")),
        "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes(":no-user")),
        "Basic " + Convert.ToBase64String(Encoding.Latin1.GetBytes("josé:pw")),
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("日本:pw")),
        "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("a\u0001b:pw")),
        "Bearer abc",
        "token abc",
        "Negotiate YII=",
        "garbage-without-space",
        "Basic YWxpY2U6cHc=extra",
    };

    [Theory]
    [MemberData(nameof(MalformedAuthorization))]
    public async Task MalformedCredentials_Are401NeverA500(string authorization)
    {
        await using var gateway = await TestGateway.StartAsync();
        using var client = new GatewayClient(gateway.ApiBase, () => authorization);

        using var response = await client.GetAsync("api/v1/clusters/");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], client.LastExchange);
        await GatewayClient.ReadErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().ToString());
    }

    [Fact]
    public async Task Cookie_ExpiresAfterCacheMaxAge_AndTheClientReauthenticates()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = await TestGateway.StartAsync(time, ("Authenticator.CacheMaxAge", 60), ("Authenticator.CookieName", "gw-session"));
        using var client = gateway.Client("alice");

        using (var first = await client.GetAsync("api/v1/clusters/"))
        {
            Assert.StartsWith("gw-session=", first.Headers.GetValues("Set-Cookie").Single(), StringComparison.Ordinal);
            Assert.Contains("Max-Age=120", first.Headers.GetValues("Set-Cookie").Single(), StringComparison.Ordinal);
        }

        time.Advance(TimeSpan.FromSeconds(59));
        using (await client.GetAsync("api/v1/clusters/"))
        {
            Assert.Equal([HttpStatusCode.OK], client.LastExchange);
        }

        time.Advance(TimeSpan.FromSeconds(1));
        using (await client.GetAsync("api/v1/clusters/"))
        {
            Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.OK], client.LastExchange);
        }
    }

    [Fact]
    public async Task ForgedCookie_IsNotAccepted()
    {
        await using var gateway = await TestGateway.StartAsync(("Authenticator.CookieName", "gw-session"));
        using var client = new HttpClient { BaseAddress = gateway.ApiBase };
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/clusters/");
        request.Headers.Add("Cookie", "gw-session=" + new string('a', 32));

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
