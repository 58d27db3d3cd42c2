using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using DaskGateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace DaskGateway.Tests;

/// <summary>
/// The JupyterHub authenticator against a protocol-level stand-in for the hub's <c>GET /user</c>
/// (a loopback Kestrel server), for what a real hub cannot be made to do on demand: fail with a 5xx,
/// answer oddly, count requests, and speak TLS with client certificates. The real hub is in the
/// integration tests.
/// </summary>
public sealed class JupyterHubStandInTests : IDisposable
{
    private const string BasePath = "/a%41b/space%20word/hub/api";
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("dask-gateway-hub-tls-");
    private readonly TaskCompletionSource _slowAnswers = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _requests;
    private int _inFlight;
    private int _mostInFlight;
    private string? _clientCertificateSubject;

    public void Dispose() => _directory.Delete(recursive: true);

    /// <summary>
    /// Answers by token: "alice" is a user, "status-N" answers N, "not-json" and "no-name" are broken
    /// models, "slow-..." answers only once <see cref="_slowAnswers"/> is released.
    /// </summary>
    private async Task HubAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var inFlight = Interlocked.Increment(ref _inFlight);
        try
        {
            InterlockedMax(ref _mostInFlight, inFlight);
            await AnswerAsync(context);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private static void InterlockedMax(ref int location, int value)
    {
        for (var current = Volatile.Read(ref location); value > current; current = Volatile.Read(ref location))
        {
            if (Interlocked.CompareExchange(ref location, value, current) == current)
            {
                return;
            }
        }
    }

    private async Task AnswerAsync(HttpContext context)
    {
        _clientCertificateSubject = context.Connection.ClientCertificate?.Subject;
        var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var token = context.Request.Headers.Authorization.ToString() is var header && header.StartsWith("token ", StringComparison.Ordinal) ? header[6..] : "";
        if (target != BasePath + "/user")
        {
            context.Response.StatusCode = 404;
            return;
        }

        if (token.StartsWith("slow-", StringComparison.Ordinal))
        {
            await _slowAnswers.Task.WaitAsync(TimeSpan.FromSeconds(30), context.RequestAborted);
        }

        if (token.StartsWith("status-", StringComparison.Ordinal))
        {
            context.Response.StatusCode = int.Parse(token[7..], System.Globalization.CultureInfo.InvariantCulture);
            context.Response.Headers.Location = "/elsewhere";
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(token switch
        {
            "alice" => """{"kind": "user", "name": "alice", "admin": false, "groups": ["a", "b"], "scopes": ["access:services"]}""",
            "odd" => """{"kind": "user", "name": "x:y", "admin": "yes", "groups": [1, "g", null]}""",
            "no-name" => """{"kind": "user", "groups": []}""",
            "not-json" => "<html>hub</html>",
            _ => """{"kind": "user", "name": "someone"}""",
        });
    }

    private async Task<(WebApplication App, string ApiUrl)> StartHubAsync(Action<ListenOptions>? listen = null)
    {
        var (app, address) = await LoopbackServer.StartAsync(HubAsync, listen);
        return (app, address.ToString().TrimEnd('/') + BasePath);
    }

    private static Action<ListenOptions> Https(X509Certificate2 certificate, bool requireClientCertificate) => listen => listen.UseHttps(new HttpsConnectionAdapterOptions
    {
        ServerCertificate = certificate,
        ClientCertificateMode = requireClientCertificate ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.NoCertificate,
        ClientCertificateValidation = (_, _, _) => true,
    });

    private static Task<TestGateway> GatewayAsync(string apiUrl, params (string, object?)[] more) =>
        TestGateway.StartAsync([("DaskGateway.AuthenticatorClass", "jupyterhub"), ("JupyterHubAuthenticator.JupyterhubApiUrl", apiUrl), .. more]);

    /// <summary>
    /// Declares what a gateway logs when the hub fails it: the hub's failure (2024-2026) and the 502
    /// answered for it, which the access log reports at Error.
    /// </summary>
    private static void ExpectHubFailures(TestGateway gateway) =>
        gateway.ExpectLoggedError(e => e.EventId.Id is 2024 or 2025 or 2026
            || (e.EventId.Id == 1000 && e.Values.TryGetValue("StatusCode", out var status) && Convert.ToInt32(status, System.Globalization.CultureInfo.InvariantCulture) == 502));

    private static async Task<(HttpStatusCode Status, string Body)> AskAsync(TestGateway gateway, string token)
    {
        using var client = new GatewayClient(gateway.ApiBase, () => "jupyterhub " + token);
        using var response = await client.GetAsync("api/v1/clusters/");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Error(string body) => JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;

    [Fact]
    public async Task TheApiUrl_IsUsedVerbatim_EscapesIncluded()
    {
        var (hub, apiUrl) = await StartHubAsync();
        await using var _ = hub;
        await using var gateway = await GatewayAsync(apiUrl + "/");

        Assert.Equal(HttpStatusCode.OK, (await AskAsync(gateway, "alice")).Status);
    }

    public static TheoryData<string, HttpStatusCode, string> HubAnswers => new()
    {
        { "status-401", HttpStatusCode.Unauthorized, "Invalid, expired or revoked JupyterHub API token" },
        { "status-403", HttpStatusCode.Unauthorized, "Invalid, expired or revoked JupyterHub API token" },
        { "status-404", HttpStatusCode.Unauthorized, "Invalid, expired or revoked JupyterHub API token" },
        { "status-500", HttpStatusCode.BadGateway, "Upstream failure verifying user's JupyterHub API token: JupyterHub answered 500 Internal Server Error" },
        { "status-503", HttpStatusCode.BadGateway, "Upstream failure verifying user's JupyterHub API token: JupyterHub answered 503 Service Unavailable" },
        { "status-429", HttpStatusCode.BadGateway, "Upstream failure verifying user's JupyterHub API token: JupyterHub answered 429 Too Many Requests" },
        { "status-400", HttpStatusCode.BadGateway, "Upstream failure verifying user's JupyterHub API token: JupyterHub answered 400 Bad Request" },
        { "status-302", HttpStatusCode.BadGateway, "Upstream failure verifying user's JupyterHub API token: JupyterHub answered 302 Found" },
        { "not-json", HttpStatusCode.BadGateway, "Upstream failure verifying user's JupyterHub API token: JupyterHub's answer is not JSON" },
        { "no-name", HttpStatusCode.BadGateway, "Upstream failure verifying user's JupyterHub API token: JupyterHub's answer names no user" },
    };

    [Theory]
    [MemberData(nameof(HubAnswers))]
    public async Task HubAnswers_MapTo401ForRefusedTokens_And502ForEverythingElse(string token, HttpStatusCode status, string error)
    {
        var (hub, apiUrl) = await StartHubAsync();
        await using var _ = hub;
        await using var gateway = await GatewayAsync(apiUrl);
        if (status == HttpStatusCode.BadGateway)
        {
            ExpectHubFailures(gateway);
        }

        var (actual, body) = await AskAsync(gateway, token);

        Assert.Equal(status, actual);
        Assert.Equal(error, Error(body));
    }

    [Fact]
    public async Task OddModels_AreReadDefensively()
    {
        var (hub, apiUrl) = await StartHubAsync();
        await using var _ = hub;
        await using var gateway = await GatewayAsync(apiUrl, ("JupyterHubAuthenticator.UseServiceAccessScopes", false));

        Assert.Equal(HttpStatusCode.OK, (await AskAsync(gateway, "odd")).Status);
    }

    [Theory]
    [InlineData("jupyterhub", "Malformed JupyterHub credentials: no token")]
    [InlineData("jupyterhub a\u0001b", "Malformed JupyterHub credentials: the token must be printable ASCII without spaces")]
    [InlineData("token alice", "Authentication required")]
    [InlineData("Basic YWxpY2U6cHc=", "Authentication required")]
    public async Task OtherSchemesAndMalformedTokens_Are401WithoutAskingTheHub(string authorization, string error)
    {
        var (hub, apiUrl) = await StartHubAsync();
        await using var _ = hub;
        await using var gateway = await GatewayAsync(apiUrl);
        using var client = new GatewayClient(gateway.ApiBase, () => authorization);

        using var response = await client.GetAsync("api/v1/clusters/");

        Assert.Equal(error, await GatewayClient.ReadErrorAsync(response, HttpStatusCode.Unauthorized));
        Assert.Equal("jupyterhub", response.Headers.WwwAuthenticate.Single().ToString());
        Assert.Equal(0, _requests);
    }

    [Theory]
    [InlineData(30, 1)]
    [InlineData(0, 3)]
    public async Task AcceptedTokens_AreCached_UnlessTheCacheIsOff(int maxAge, int hubRequests)
    {
        var (hub, apiUrl) = await StartHubAsync();
        await using var _ = hub;
        await using var gateway = await GatewayAsync(apiUrl, ("JupyterHubAuthenticator.TokenCacheMaxAge", maxAge));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await AskAsync(gateway, "alice")).Status);
        }

        Assert.Equal(hubRequests, _requests);
    }

    [Theory]
    [InlineData(30, 1)]
    [InlineData(0, 3)]
    public async Task RepeatedBadToken_CostsOneHubRequest_WhileItsRefusalIsRemembered(int maxAge, int hubRequests)
    {
        var (hub, apiUrl) = await StartHubAsync();
        await using var _ = hub;
        await using var gateway = await GatewayAsync(apiUrl, ("JupyterHubAuthenticator.RefusedTokenCacheMaxAge", maxAge));

        for (var i = 0; i < 3; i++)
        {
            var (status, body) = await AskAsync(gateway, "status-403");
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.Equal("Invalid, expired or revoked JupyterHub API token", Error(body));
        }

        Assert.Equal(hubRequests, _requests);
    }

    [Fact]
    public async Task HubFailures_AreNotRemembered_AsRefusals()
    {
        var (hub, apiUrl) = await StartHubAsync();
        await using var _ = hub;
        await using var gateway = await GatewayAsync(apiUrl);
        ExpectHubFailures(gateway);

        Assert.Equal(HttpStatusCode.BadGateway, (await AskAsync(gateway, "status-500")).Status);
        Assert.Equal(HttpStatusCode.BadGateway, (await AskAsync(gateway, "status-500")).Status);

        Assert.Equal(2, _requests);
    }

    [Fact]
    public async Task FloodOfMadeUpTokens_ReachesTheHubOnlyUpToTheConcurrencyCap()
    {
        var (hub, apiUrl) = await StartHubAsync();
        await using var _ = hub;
        await using var gateway = await GatewayAsync(apiUrl, ("JupyterHubAuthenticator.MaxConcurrentHubRequests", 2), ("JupyterHubAuthenticator.HubQueueTimeout", 60));

        var asks = Enumerable.Range(0, 8).Select(i => AskAsync(gateway, $"slow-{i}")).ToList();
        await Eventually.WaitUntilAsync(() => Volatile.Read(ref _requests) == 2, "two checks reach the hub");
        _slowAnswers.SetResult();
        var answers = await Task.WhenAll(asks).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.OK, answer.Status));
        Assert.Equal(8, _requests);
        Assert.Equal(2, _mostInFlight);
    }

    [Fact]
    public async Task FloodOfMadeUpTokens_BeyondTheQueueTimeout_Is502SayingTheHubIsBusy()
    {
        var (hub, apiUrl) = await StartHubAsync();
        await using var _ = hub;
        await using var gateway = await GatewayAsync(apiUrl, ("JupyterHubAuthenticator.MaxConcurrentHubRequests", 1), ("JupyterHubAuthenticator.HubQueueTimeout", 0.2));
        ExpectHubFailures(gateway);

        var first = AskAsync(gateway, "slow-first");
        await Eventually.WaitUntilAsync(() => Volatile.Read(ref _requests) == 1, "the first check reaches the hub");
        var (status, body) = await AskAsync(gateway, "slow-second");
        _slowAnswers.SetResult();

        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.Equal("JupyterHub is busy: the gateway's limit of 1 concurrent token checks was reached and this request waited 0.2 s; try again shortly", Error(body));
        Assert.Equal(HttpStatusCode.OK, (await first.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken)).Status);
        Assert.Equal(1, _requests);
    }

    [Fact]
    public async Task Tls_TheCaAloneVerifiesTheHub_AndWithoutItTheHubIsUntrusted()
    {
        var pki = TestPki.Create(_directory.FullName);
        var (hub, apiUrl) = await StartHubAsync(Https(pki.Server, requireClientCertificate: false));
        await using var _ = hub;
        await using var trusting = await GatewayAsync(apiUrl, ("JupyterHubAuthenticator.TlsCa", pki.CaPath));
        await using var untrusting = await GatewayAsync(apiUrl);
        ExpectHubFailures(untrusting);

        Assert.Equal(HttpStatusCode.OK, (await AskAsync(trusting, "alice")).Status);
        var (status, body) = await AskAsync(untrusting, "alice");
        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.Equal("Upstream failure verifying user's JupyterHub API token: the TLS handshake with JupyterHub failed (see TlsCa, TlsCert and TlsKey)", Error(body));
    }

    [Fact]
    public async Task Tls_ClientCertificate_FromSeparateOrCombinedFiles()
    {
        var pki = TestPki.Create(_directory.FullName);
        var (hub, apiUrl) = await StartHubAsync(Https(pki.Server, requireClientCertificate: true));
        await using var _ = hub;
        await using var separate = await GatewayAsync(apiUrl, ("JupyterHubAuthenticator.TlsCa", pki.CaPath), ("JupyterHubAuthenticator.TlsCert", pki.ClientCertPath), ("JupyterHubAuthenticator.TlsKey", pki.ClientKeyPath));
        await using var combined = await GatewayAsync(apiUrl, ("JupyterHubAuthenticator.TlsCa", pki.CaPath), ("JupyterHubAuthenticator.TlsCert", pki.ClientCombinedPath));
        await using var without = await GatewayAsync(apiUrl, ("JupyterHubAuthenticator.TlsCa", pki.CaPath));
        ExpectHubFailures(without);

        Assert.Equal(HttpStatusCode.OK, (await AskAsync(separate, "alice")).Status);
        Assert.Equal("CN=dask-gateway", _clientCertificateSubject);
        Assert.Equal(HttpStatusCode.OK, (await AskAsync(combined, "alice")).Status);
        Assert.Equal(HttpStatusCode.BadGateway, (await AskAsync(without, "alice")).Status);
    }

    [Fact]
    public async Task Tls_UnusableFiles_FailAtStartup()
    {
        var notPem = Path.Combine(_directory.FullName, "not.pem");
        await File.WriteAllTextAsync(notPem, "nothing here", TestContext.Current.CancellationToken);

        var noCa = await Assert.ThrowsAsync<InvalidOperationException>(() => GatewayAsync("http://127.0.0.1:1/hub/api", ("JupyterHubAuthenticator.TlsCa", notPem)));
        var keyOnly = await Assert.ThrowsAsync<InvalidOperationException>(() => GatewayAsync("http://127.0.0.1:1/hub/api", ("JupyterHubAuthenticator.TlsKey", notPem)));
        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => GatewayAsync("http://127.0.0.1:1/hub/api", ("JupyterHubAuthenticator.TlsCert", "/nonexistent.pem")));
        var badUrl = await Assert.ThrowsAsync<InvalidOperationException>(() => GatewayAsync("hub:8081/api"));

        Assert.Contains("holds no PEM certificate", noCa.Message, StringComparison.Ordinal);
        Assert.Equal("JupyterHubAuthenticator.TlsKey is set but TlsCert is not", keyOnly.Message);
        Assert.StartsWith("JupyterHubAuthenticator's TLS files cannot be used", missing.Message, StringComparison.Ordinal);
        Assert.Equal("The JupyterHub API URL 'hub:8081/api' is not an absolute http or https URL", badUrl.Message);
    }

    /// <summary>A CA, a server certificate for 127.0.0.1 and a client certificate, with PEM files.</summary>
    private sealed record TestPki(X509Certificate2 Server, string CaPath, string ClientCertPath, string ClientKeyPath, string ClientCombinedPath)
    {
        public static TestPki Create(string directory)
        {
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest("CN=Test Hub CA", caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
            using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));

            var server = Issue(ca, "CN=127.0.0.1", serverAuth: true, out _);
            var client = Issue(ca, "CN=dask-gateway", serverAuth: false, out var clientKey);
            var caPath = Write(directory, "ca.pem", ca.ExportCertificatePem());
            var certPath = Write(directory, "client.crt", client.ExportCertificatePem());
            var keyPath = Write(directory, "client.key", clientKey);
            var combinedPath = Write(directory, "client-combined.pem", client.ExportCertificatePem() + "\n" + clientKey);
            return new TestPki(server, caPath, certPath, keyPath, combinedPath);
        }

        /// <summary>Valid exactly as long as the CA: a later clock reading could outlast it, which the issuer refuses.</summary>
        private static X509Certificate2 Issue(X509Certificate2 ca, string subject, bool serverAuth, out string keyPem)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            if (serverAuth)
            {
                var names = new SubjectAlternativeNameBuilder();
                names.AddIpAddress(IPAddress.Loopback);
                request.CertificateExtensions.Add(names.Build());
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
            using var issued = request.Create(ca, new DateTimeOffset(ca.NotBefore), new DateTimeOffset(ca.NotAfter), RandomNumberGenerator.GetBytes(8));
            keyPem = key.ExportPkcs8PrivateKeyPem();
            return issued.CopyWithPrivateKey(key);
        }

        private static string Write(string directory, string name, string text)
        {
            var path = Path.Combine(directory, name);
            File.WriteAllText(path, text);
            return path;
        }
    }
}
