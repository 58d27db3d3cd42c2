using System.Net;
using DaskGateway.Auth;
using DaskGateway.Logging;
using DaskGateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace DaskGateway.Tests;

/// <summary>
/// The JupyterHub authenticator against a real JupyterHub 3.0 (<see cref="JupyterHub"/>), whose API
/// URL holds a percent-escape, through the client's whole handshake.
/// </summary>
public sealed class JupyterHubAuthenticatorTests(JupyterHub fixture) : IClassFixture<JupyterHub>
{
    private readonly UserRecorder _recorder = new();

    private JupyterHubInstance Hub => fixture.Hub;

    private Task<TestGateway> StartAsync(params (string, object?)[] more) => StartAsync(null, more);

    private Task<TestGateway> StartAsync(TimeProvider? time, params (string, object?)[] more) => TestGateway.StartAsync(
        time,
        [
            ("DaskGateway.AuthenticatorClass", "jupyterhub"),
            ("JupyterHubAuthenticator.JupyterhubApiUrl", Hub.ApiUrl),
            _recorder.Setting,
            .. more,
        ]);

    private static GatewayClient ClientWith(TestGateway gateway, string token) => new(gateway.ApiBase, () => "jupyterhub " + token);

    private async Task<User> SignInAsync(TestGateway gateway, string token)
    {
        var before = _recorder.Users.Count;
        using var client = ClientWith(gateway, token);
        using var response = await client.GetAsync("api/v1/options");
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.OK], client.LastExchange);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("dask-gateway-", StringComparison.Ordinal));
        Assert.Equal(before + 1, _recorder.Users.Count);
        return _recorder.Users.Last();
    }

    private static async Task<string> RefusedAsync(TestGateway gateway, string token, HttpStatusCode status = HttpStatusCode.Unauthorized)
    {
        using var client = ClientWith(gateway, token);
        using var response = await client.GetAsync("api/v1/options");
        Assert.Equal([HttpStatusCode.Unauthorized, status], client.LastExchange);
        var error = await GatewayClient.ReadErrorAsync(response, status);
        if (status == HttpStatusCode.Unauthorized)
        {
            Assert.Equal("jupyterhub", response.Headers.WwwAuthenticate.Single().ToString());
        }

        return error;
    }

    [Fact]
    public async Task UserTokens_GetIn_WithTheHubsGroupsAndAdminFlag()
    {
        await using var gateway = await StartAsync();

        var alice = await SignInAsync(gateway, Hub.AliceToken);
        var bob = await SignInAsync(gateway, Hub.BobToken);

        Assert.Equal("alice", alice.Name);
        Assert.Equal(["scientists"], alice.Groups);
        Assert.True(alice.Admin);
        Assert.Equal("bob", bob.Name);
        Assert.Empty(bob.Groups);
        Assert.False(bob.Admin);
    }

    [Fact]
    public async Task ServiceToken_IsNamedKindColonName()
    {
        await using var gateway = await StartAsync();

        var service = await SignInAsync(gateway, Hub.AnyServiceToken);

        Assert.Equal("service:any-service", service.Name);
        Assert.Empty(service.Groups);
        Assert.False(service.Admin);
    }

    [Fact]
    public async Task WithAServiceName_OnlyTokensWithTheAccessScopeGetIn()
    {
        await using var gateway = await StartAsync(("JupyterHubAuthenticator.JupyterhubServiceName", Hub.ServiceName));

        Assert.Equal("alice", (await SignInAsync(gateway, Hub.AliceToken)).Name);
        Assert.Equal("service:any-service", (await SignInAsync(gateway, Hub.AnyServiceToken)).Name);
        foreach (var token in new[] { Hub.AliceNoAccessToken, Hub.BobToken, Hub.ServiceToken })
        {
            var error = await RefusedAsync(gateway, token);
            Assert.Equal("The JupyterHub API token lacks the scope access:services!service=dask-gateway (or access:services) that this gateway requires", error);
        }
    }

    [Fact]
    public async Task ScopeChecking_CanBeTurnedOff_AndDefaultsFromTheEnvironment()
    {
        using var url = new EnvironmentVariable("JUPYTERHUB_API_URL", Hub.ApiUrl);
        using var service = new EnvironmentVariable("JUPYTERHUB_SERVICE_NAME", Hub.ServiceName);
        await using (var fromEnvironment = await TestGateway.StartAsync(("DaskGateway.AuthenticatorClass", "jupyterhub")))
        {
            await RefusedAsync(fromEnvironment, Hub.BobToken);
        }

        await using var withoutScopes = await StartAsync(("JupyterHubAuthenticator.UseServiceAccessScopes", false));
        Assert.Equal("bob", (await SignInAsync(withoutScopes, Hub.BobToken)).Name);
    }

    [Fact]
    public async Task RevokedAndInvalidTokens_Are401()
    {
        await using var gateway = await StartAsync();

        Assert.Equal("Invalid, expired or revoked JupyterHub API token", await RefusedAsync(gateway, Hub.RevokedToken));
        Assert.Equal("Invalid, expired or revoked JupyterHub API token", await RefusedAsync(gateway, Hub.InvalidToken));
        Assert.Equal("Malformed JupyterHub credentials: no token", await RefusedAsync(gateway, ""));
        Assert.Empty(_recorder.Users);
    }

    [Fact]
    public async Task TokenRevokedAtTheHub_IsRefusedAtOnce_WithoutTheCache()
    {
        await using var gateway = await StartAsync(("JupyterHubAuthenticator.TokenCacheMaxAge", 0));
        var (id, token) = await Hub.CreateTokenAsync("bob");
        Assert.Equal("bob", (await SignInAsync(gateway, token)).Name);

        await Hub.RevokeTokenAsync("bob", id);

        Assert.Equal("Invalid, expired or revoked JupyterHub API token", await RefusedAsync(gateway, token));
    }

    [Fact]
    public async Task TokenRevokedAtTheHub_KeepsWorkingUntilItsCacheEntryExpires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = await StartAsync(time, ("JupyterHubAuthenticator.TokenCacheMaxAge", 30));
        var (id, token) = await Hub.CreateTokenAsync("bob");
        Assert.Equal("bob", (await SignInAsync(gateway, token)).Name);

        await Hub.RevokeTokenAsync("bob", id);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal("bob", (await SignInAsync(gateway, token)).Name);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("Invalid, expired or revoked JupyterHub API token", await RefusedAsync(gateway, token));
    }

    [Fact]
    public async Task HubStoppedMidTest_Is502_WhileCookiesAndCachedTokensKeepWorking()
    {
        await using var hub = await JupyterHubInstance.StartAsync();
        await using var gateway = await TestGateway.StartAsync(("DaskGateway.AuthenticatorClass", "jupyterhub"), ("JupyterHubAuthenticator.JupyterhubApiUrl", hub.ApiUrl));
        using var withCookie = ClientWith(gateway, hub.AliceToken);
        using (var first = await withCookie.GetAsync("api/v1/clusters/"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        await hub.StopAsync();

        // What the gateway logs while the hub is down: the hub unreachable, and the 502 it answers.
        gateway.ExpectLoggedError(e => e.EventId.Id == GatewayEventIds.JupyterHubAuthenticatorHubUnreachable
            || (e.EventId.Id == GatewayEventIds.ApiMiddlewareRequest && e.Message.StartsWith("502 ", StringComparison.Ordinal)));

        using (var cookie = await withCookie.GetAsync("api/v1/clusters/"))
        {
            Assert.Equal([HttpStatusCode.OK], withCookie.LastExchange);
        }

        using (var cached = ClientWith(gateway, hub.AliceToken))
        using (var response = await cached.GetAsync("api/v1/clusters/"))
        {
            Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.OK], cached.LastExchange);
        }

        var error = await RefusedAsync(gateway, hub.BobToken, HttpStatusCode.BadGateway);
        Assert.Equal("Upstream failure verifying user's JupyterHub API token: JupyterHub cannot be reached", error);
    }

    [Fact]
    public async Task Setup_WithoutAnApiUrl_FailsClearly()
    {
        using var url = new EnvironmentVariable("JUPYTERHUB_API_URL", null);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TestGateway.StartAsync(("DaskGateway.AuthenticatorClass", "jupyterhub")));

        Assert.Equal("JUPYTERHUB_API_URL must be set (or JupyterHubAuthenticator.JupyterhubApiUrl)", error.Message);
    }
}

/// <summary>Sets an environment variable of this process for a test and restores it after.</summary>
internal sealed class EnvironmentVariable : IDisposable
{
    private readonly string _name;
    private readonly string? _previous;

    public EnvironmentVariable(string name, string? value)
    {
        _name = name;
        _previous = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
    }

    public void Dispose() => Environment.SetEnvironmentVariable(_name, _previous);
}
