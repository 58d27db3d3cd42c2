using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace DaskGateway.Tests;

/// <summary>
/// A real JupyterHub (Debian's 3.0) on a free loopback port, started by test/infra/jhub-ci-start.sh
/// with a dummy authenticator, users alice (admin, group scientists) and bob, the gateway's service
/// "dask-gateway", and tokens minted for the tests. Its base URL holds a percent-escape
/// (<c>/@/space%20word/</c>) so that the API URL must be used verbatim.
/// </summary>
public sealed class JupyterHubInstance : IAsyncDisposable
{
    public const string Install = "apt-get install --no-install-recommends jupyterhub (scripts/lib/prerequisites.sh does)";
    private readonly Dictionary<string, string> _values;

    private JupyterHubInstance(Dictionary<string, string> values) => _values = values;

    public string ApiUrl => _values["HUB_API_URL"];

    public string ServiceName => _values["JHUB_SERVICE_NAME"];

    /// <summary>The gateway's own service token (no access scope).</summary>
    public string ServiceToken => _values["JHUB_SERVICE_TOKEN"];

    /// <summary>Alice's token with access:services!service=dask-gateway.</summary>
    public string AliceToken => _values["ALICE_TOKEN"];

    /// <summary>Alice's token limited to reading her name: no access scope.</summary>
    public string AliceNoAccessToken => _values["ALICE_NOACCESS_TOKEN"];

    /// <summary>Bob's token with his default scopes (no access to the service).</summary>
    public string BobToken => _values["BOB_TOKEN"];

    /// <summary>The token of the service any-service, which holds the access scope.</summary>
    public string AnyServiceToken => _values["ANY_SERVICE_TOKEN"];

    public string RevokedToken => _values["REVOKED_TOKEN"];

    public string InvalidToken => _values["INVALID_TOKEN"];

    private string Directory => _values["JHUB_DIR"];

    public static async Task<JupyterHubInstance> StartAsync()
    {
        Assert.True(File.Exists("/usr/bin/jupyterhub"), "/usr/bin/jupyterhub is missing: " + Install);
        var directory = System.IO.Directory.CreateTempSubdirectory("dask-gateway-jhub-").FullName;
        var result = await ExternalCommand.RunInfraScriptAsync(
            "jhub-ci-start.sh",
            [],
            new Dictionary<string, string?>
            {
                ["JHUB_DIR"] = directory,
                ["JHUB_NO_INSTALL"] = "1",
                ["JHUB_BASE_URL"] = "/@/space%20word/",
                ["JHUB_START_TIMEOUT"] = "60",
                ["GITHUB_ENV"] = null,
            },
            timeoutSeconds: 120);
        if (result.ExitCode != 0)
        {
            await ExternalCommand.RunInfraScriptAsync("jhub-ci-stop.sh", [directory], new Dictionary<string, string?>(), timeoutSeconds: 30);
            Assert.Fail($"jhub-ci-start.sh failed ({Install}): {result.Output}");
        }

        var hub = new JupyterHubInstance(ExternalCommand.ParseExports(result.StandardOutput));

        // The hub answers as these tests expect (e.g. 403 for revoked tokens), or they would mislead.
        var selfTest = await ExternalCommand.RunAsync(
            "/bin/bash",
            ["-c", "set -a && source \"$1/hub.env\" && exec bash \"$2\"", "selftest", directory, Path.Combine(AppContext.BaseDirectory, "infra", "jhub-ci-selftest.sh")],
            timeoutSeconds: 60);
        if (selfTest.ExitCode != 0)
        {
            await hub.StopAsync();
            Assert.Fail("jhub-ci-selftest.sh: the hub does not answer as the tests expect: " + selfTest.Output);
        }

        return hub;
    }

    /// <summary>Stops the hub (SIGTERM, then SIGKILL) and deletes its directory; safe to call twice.</summary>
    public async Task StopAsync()
    {
        var result = await ExternalCommand.RunInfraScriptAsync("jhub-ci-stop.sh", [Directory], new Dictionary<string, string?>(), timeoutSeconds: 40);
        Assert.True(result.ExitCode == 0, "jhub-ci-stop.sh failed: " + result.Output);
    }

    /// <summary>Mints a token for <paramref name="user"/> through the hub's API; returns its id and value.</summary>
    public async Task<(string Id, string Token)> CreateTokenAsync(string user, params string[] scopes)
    {
        using var http = AdminClient();
        using var response = await http.PostAsJsonAsync(ApiUrl + $"/users/{user}/tokens", new { scopes, note = "test" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        return (body["id"]!.GetValue<string>(), body["token"]!.GetValue<string>());
    }

    public async Task RevokeTokenAsync(string user, string id)
    {
        using var http = AdminClient();
        using var response = await http.DeleteAsync(ApiUrl + $"/users/{user}/tokens/{id}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private HttpClient AdminClient()
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "token " + _values["JHUB_ADMIN_TOKEN"]);
        return http;
    }
}

/// <summary>One hub for a test class.</summary>
public sealed class JupyterHub : IAsyncLifetime
{
    private JupyterHubInstance? _hub;

    public JupyterHubInstance Hub => _hub ?? throw new InvalidOperationException("the hub did not start");

    public async ValueTask InitializeAsync() => _hub = await JupyterHubInstance.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }
    }
}
