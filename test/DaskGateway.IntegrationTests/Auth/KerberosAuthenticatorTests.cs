using System.Net;
using System.Net.Security;
using System.Text;
using DaskGateway.Auth;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

/// <summary>A service provider without services: what an authenticator sees outside a gateway.</summary>
internal sealed class EmptyServices : IServiceProvider
{
    public static readonly EmptyServices Instance = new();

    public object? GetService(Type serviceType) => null;
}

/// <summary>
/// The Kerberos authenticator against a real KDC (<see cref="KerberosRealm"/>), with three
/// independent clients: .NET's NegotiateAuthentication, the upstream client's pykerberos calls,
/// and curl --negotiate.
/// </summary>
public sealed class KerberosAuthenticatorTests(KerberosRealm realm) : IClassFixture<KerberosRealm>
{
    private readonly UserRecorder _recorder = new();

    private IReadOnlyCollection<User> Users => _recorder.Users;

    private Task<TestGateway> StartAsync(params (string, object?)[] more) => TestGateway.StartAsync(
    [
        ("DaskGateway.AuthenticatorClass", "kerberos"),
        ("KerberosAuthenticator.Keytab", realm.Keytab),
        _recorder.Setting,
        .. more,
    ]);

    /// <summary>The gateway's address with the host name of the service principal (HTTP/localhost).</summary>
    private static Uri ByHostName(TestGateway gateway, string path) => new(new UriBuilder(gateway.ApiBase) { Host = "localhost" }.Uri, path);

    private static async Task AssertRefusedAsync(HttpResponseMessage response, params string[] messageParts)
    {
        var error = await GatewayClient.ReadErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Negotiate", response.Headers.WwwAuthenticate.Single().ToString());
        foreach (var part in messageParts)
        {
            Assert.Contains(part, error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task DotNetClient_WithAPasswordTicket_GetsInThroughTheHandshake_AndTheCookieThenSufficesWithoutKerberos()
    {
        await using var gateway = await StartAsync();
        using var kerberos = new DotNetKerberosClient(await realm.KinitAsync("alice", "alicepw"));
        using var client = new GatewayClient(gateway.ApiBase, kerberos.Authorization);

        using (var first = await client.GetAsync("api/v1/options"))
        {
            Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.OK], client.LastExchange);
            Assert.Equal(NegotiateAuthenticationStatusCode.Completed, kerberos.VerifyServer(first));
            Assert.Contains(first.Headers.GetValues("Set-Cookie"), c => c.StartsWith("dask-gateway-", StringComparison.Ordinal));
        }

        var user = Assert.Single(Users);
        Assert.Equal("alice", user.Name);
        Assert.False(user.Admin);
        Assert.Empty(user.Groups);

        using var second = await client.GetAsync("api/v1/clusters/");
        Assert.Equal([HttpStatusCode.OK], client.LastExchange);
        Assert.Equal(1, kerberos.TokensMade);
        Assert.Empty(second.Headers.WwwAuthenticate);
    }

    [Fact]
    public async Task OwnRealmUser_IsNamedWithoutTheRealm_UnlessStripRealmIsOff()
    {
        foreach (var (stripRealm, expected) in new[] { (true, "alice"), (false, "alice@" + realm.Realm) })
        {
            var recorder = new UserRecorder();
            await using var gateway = await TestGateway.StartAsync(
                ("DaskGateway.AuthenticatorClass", "kerberos"),
                ("KerberosAuthenticator.Keytab", realm.Keytab),
                ("KerberosAuthenticator.StripRealm", stripRealm),
                recorder.Setting);
            using var kerberos = new DotNetKerberosClient(await realm.KinitAsync("alice", "alicepw"));
            using var client = new GatewayClient(gateway.ApiBase, kerberos.Authorization);

            using var response = await client.GetAsync("api/v1/options");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(expected, Assert.Single(recorder.Users).Name);
        }
    }

    [Fact]
    public async Task UpstreamClientCalls_Pykerberos_GetIn_VerifyTheServer_AndUseTheCookie()
    {
        await using var gateway = await StartAsync();
        var cache = await realm.KinitWithKeytabAsync("alice", realm.AliceKeytab);

        var replies = await KerberosProcesses.UpstreamClientAsync(realm, cache, ByHostName(gateway, "api/v1/options"), ByHostName(gateway, "api/v1/clusters/"));

        Assert.Equal("[401,200]", replies[0]["statuses"]!.ToJsonString());
        Assert.Equal("ok", replies[0]["negotiation"]!.GetValue<string>());
        Assert.Equal("[200]", replies[1]["statuses"]!.ToJsonString());
        Assert.Equal("{}", replies[1]["body"]!.GetValue<string>());
        Assert.Equal("alice", Assert.Single(Users).Name);
    }

    [Fact]
    public async Task UpstreamClient_SeesTheRealErrorAfterAuthenticating_NotKerberosNegotiationFailed()
    {
        // Upstream's server sends its token only with successful responses, so its client reports
        // "Kerberos negotiation failed" instead of a 404 (protocol.md §12.6).
        await using var gateway = await StartAsync();
        var cache = await realm.KinitAsync("alice", "alicepw");

        var reply = Assert.Single(await KerberosProcesses.UpstreamClientAsync(realm, cache, ByHostName(gateway, "api/v1/clusters/no-such-cluster")));

        Assert.Equal("[401,404]", reply["statuses"]!.ToJsonString());
        Assert.Equal("ok", reply["negotiation"]!.GetValue<string>());
        Assert.Contains("no-such-cluster", reply["body"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Curl_Negotiate_GetsIn_AndTheSuccessCarriesTheServerToken()
    {
        await using var gateway = await StartAsync();
        var cache = await realm.KinitAsync("bob", "bobpw");

        var (status, headers, body) = await KerberosProcesses.CurlAsync(realm, cache, ByHostName(gateway, "api/v1/options"));

        Assert.Equal(200, status);
        Assert.Contains("{\"cluster_options\":[]}", body, StringComparison.Ordinal);
        Assert.Matches(@"(?im)^WWW-Authenticate: Negotiate [A-Za-z0-9+/]+=*\r?$", headers);
        Assert.Equal("bob", Assert.Single(Users).Name);
    }

    [Fact]
    public async Task WithoutCredentials_Is401_NamingNegotiate()
    {
        await using var gateway = await StartAsync();
        using var http = new HttpClient { BaseAddress = gateway.ApiBase };

        using var response = await http.GetAsync("api/v1/clusters/", TestContext.Current.CancellationToken);

        await AssertRefusedAsync(response, "Authentication required");
    }

    [Fact]
    public async Task WithoutATicket_CurlGets401()
    {
        await using var gateway = await StartAsync();

        var (status, headers, _) = await KerberosProcesses.CurlAsync(realm, realm.EmptyCache(), ByHostName(gateway, "api/v1/clusters/"));

        Assert.Equal(401, status);
        Assert.Matches(@"(?im)^WWW-Authenticate: Negotiate\r?$", headers);
        Assert.Empty(Users);
    }

    [Fact]
    public async Task ExpiredTicket_Is401()
    {
        await using var gateway = await StartAsync();
        using var kerberos = new DotNetKerberosClient(await realm.KinitAsync("alice", "alicepw", lifetime: "2s"));
        var authorization = kerberos.Authorization();

        // The ticket ends 2 s after kinit; the realm allows 1 s of clock skew.
        await Task.Delay(TimeSpan.FromSeconds(4.5), TestContext.Current.CancellationToken);
        using var client = new GatewayClient(gateway.ApiBase, () => authorization);
        using var response = await client.GetAsync("api/v1/clusters/");

        await AssertRefusedAsync(response, "Kerberos authentication failed for a ticket for HTTP/localhost@FEAS.TEST");
        Assert.Empty(Users);
    }

    [Fact]
    public async Task ForeignRealmTicket_Is401()
    {
        await using var gateway = await StartAsync();
        var cache = await realm.KinitAsync("mallory@OTHER.TEST", "mallorypw", config: realm.OtherRealmConfig);
        var authorization = await KerberosProcesses.PykerberosTokenAsync(realm, cache, realm.OtherRealmConfig);
        using var client = new GatewayClient(gateway.ApiBase, () => authorization);

        using var response = await client.GetAsync("api/v1/clusters/");

        await AssertRefusedAsync(response, "HTTP/localhost@OTHER.TEST");
        Assert.Empty(Users);
    }

    [Fact]
    public async Task ReplayedToken_Is401()
    {
        await using var gateway = await StartAsync();
        var authorization = await KerberosProcesses.PykerberosTokenAsync(realm, await realm.KinitAsync("alice", "alicepw"));
        using var first = new GatewayClient(gateway.ApiBase, () => authorization);
        using var replay = new GatewayClient(gateway.ApiBase, () => authorization);

        using (var accepted = await first.GetAsync("api/v1/clusters/"))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        using var refused = await replay.GetAsync("api/v1/clusters/");
        await AssertRefusedAsync(refused, "replayed");
    }

    public static TheoryData<string> MalformedNegotiate => new()
    {
        "Negotiate",
        "Negotiate ",
        "Negotiate !!!",
        "Negotiate YII=",
        "negotiate " + Convert.ToBase64String(Encoding.ASCII.GetBytes("definitely not a token")),
        "Negotiate " + Convert.ToBase64String(Enumerable.Range(0, 300).Select(i => (byte)(i * 7)).ToArray()),
        "Negotiate " + Convert.ToBase64String([0x60, 0x05, 0x06, 0x03, 0x2b, 0x06, 0x01]),
        "Negotiate " + Convert.ToBase64String([0x60, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x01, 0x00]),
        "Negotiate " + Convert.ToBase64String(Encoding.ASCII.GetBytes("NTLMSSP\0\u0001\0\0\0")),
        // SPNEGO offering Kerberos without a ticket (NegTokenInit with mechTypes only).
        "Negotiate " + Convert.ToBase64String([0x60, 0x1b, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x11, 0x30, 0x0f, 0xa0, 0x0d, 0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02]),
        "Basic YWxpY2U6cHc=",
    };

    [Theory]
    [MemberData(nameof(MalformedNegotiate))]
    public async Task GarbageTokens_Are401NeverA500(string authorization)
    {
        await using var gateway = await StartAsync();
        using var client = new GatewayClient(gateway.ApiBase, () => authorization);

        using var response = await client.GetAsync("api/v1/clusters/");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], client.LastExchange);
        await AssertRefusedAsync(response);
    }

    [Fact]
    public async Task TicketForAnotherServiceOfTheKeytab_Is401_WhileTheServiceTicketStillWorks()
    {
        await using var gateway = await StartAsync(("KerberosAuthenticator.Keytab", realm.MixedKeytab));
        var cache = await realm.KinitAsync("alice", "alicepw");
        using var other = new DotNetKerberosClient(cache, "host/localhost");
        using var ours = new DotNetKerberosClient(cache);
        using var refusedClient = new GatewayClient(gateway.ApiBase, other.Authorization);
        using var acceptedClient = new GatewayClient(gateway.ApiBase, ours.Authorization);

        using var refused = await refusedClient.GetAsync("api/v1/clusters/");
        using var accepted = await acceptedClient.GetAsync("api/v1/clusters/");

        await AssertRefusedAsync(refused, "host/localhost@FEAS.TEST", "HTTP/<host>");
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(NegotiateAuthenticationStatusCode.Completed, ours.VerifyServer(accepted));
    }

    [Fact]
    public async Task MixedKeytab_IsCopiedToMemory_WithOnlyTheServiceKeys()
    {
        var authenticator = new KerberosAuthenticator { Keytab = realm.MixedKeytab };
        try
        {
            await authenticator.SetupAsync(EmptyServices.Instance, TestContext.Current.CancellationToken);

            Assert.StartsWith("MEMORY:", authenticator.EffectiveKeytab, StringComparison.Ordinal);
            Assert.Equal(["HTTP/localhost@FEAS.TEST"], Krb5Keytab.ListPrincipals(authenticator.EffectiveKeytab));
            Assert.Equal(["HTTP/localhost@FEAS.TEST", "host/localhost@FEAS.TEST"], Krb5Keytab.ListPrincipals(realm.MixedKeytab));
        }
        finally
        {
            await authenticator.CleanupAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Setup_FailsClearly_ForAMissingKeytab_OrOneWithoutTheServiceKey()
    {
        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(("KerberosAuthenticator.Keytab", "/nonexistent/gateway.keytab")));
        var wrongService = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(("KerberosAuthenticator.ServiceName", "postgres")));

        Assert.Equal("The Kerberos keytab /nonexistent/gateway.keytab does not exist (set KerberosAuthenticator.Keytab)", missing.Message);
        Assert.Contains("holds no key for postgres/<host>; it holds keys for HTTP/localhost@FEAS.TEST", wrongService.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerExecutable_WithTheKerberosAlias_AuthenticatesCurl()
    {
        await using var server = ServerProcess.Start(
            "--DaskGateway.AuthenticatorClass=kerberos",
            "--KerberosAuthenticator.Keytab=" + realm.Keytab,
            "--DaskGateway.Address=127.0.0.1:0",
            "--Proxy.Address=127.0.0.1:0",
            "--DBBackendBase.DbUrl=sqlite:///:memory:",
            "--DaskGateway.BackendClass=unmanaged");
        var (publicAddress, _) = await server.WaitUntilListeningAsync();
        var cache = await realm.KinitAsync("alice", "alicepw");

        var (status, headers, body) = await KerberosProcesses.CurlAsync(realm, cache, new UriBuilder(publicAddress) { Host = "localhost", Path = "/api/v1/clusters/" }.Uri);

        Assert.True(status == 200, $"{status}: {body}\n{server.StandardError}");
        Assert.Matches(@"(?im)^WWW-Authenticate: Negotiate [A-Za-z0-9+/]+=*\r?$", headers);
        Assert.Contains("auth=\"kerberos\"", server.StandardOutput, StringComparison.Ordinal);
    }
}
