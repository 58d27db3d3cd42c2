using System.CommandLine;
using System.Text.Json.Nodes;
using DaskGateway.Admin;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

/// <summary><c>dask-gateway-server admin</c> against a real gateway's private API, with the admin API token.</summary>
public sealed class AdminCommandTests
{
    private const string AdminToken = "0123456789abcdef0123456789abcdef-admin";

    [Fact]
    public async Task Clusters_ListsEveryUsersClusters_AsTableAndAsJson()
    {
        await using var gateway = await StartAsync();
        using var alice = gateway.Client("alice");
        using var bob = gateway.Client("bob");
        var aliceCluster = await alice.CreateClusterAsync();
        var bobCluster = await bob.CreateClusterAsync();

        var table = await RunAsync(gateway, "clusters");

        Assert.Equal(0, table.Code);
        var aliceRow = Assert.Single(table.Lines, l => l.Contains(aliceCluster, StringComparison.Ordinal));
        Assert.Contains("alice", aliceRow, StringComparison.Ordinal);
        Assert.Contains("PENDING", aliceRow, StringComparison.Ordinal);
        Assert.Contains("bob", Assert.Single(table.Lines, l => l.Contains(bobCluster, StringComparison.Ordinal)), StringComparison.Ordinal);

        var json = await RunAsync(gateway, "clusters", "--json");

        Assert.Equal(0, json.Code);
        var rows = JsonNode.Parse(json.Output)!.AsArray();
        Assert.Equal([("alice", aliceCluster), ("bob", bobCluster)], rows.Select(r => (r!["user"]!.GetValue<string>(), r["name"]!.GetValue<string>())));
        Assert.All(rows, r => Assert.Null(r!["tls_key"]));
    }

    [Fact]
    public async Task Clusters_StatusFilter_IsTheServers()
    {
        await using var gateway = await StartAsync();
        using var alice = gateway.Client("alice");
        var stopped = await alice.CreateClusterAsync();
        (await alice.DeleteAsync($"api/v1/clusters/{stopped}")).Dispose();
        await alice.WaitForStatusAsync(stopped, "STOPPED");
        var pending = await alice.CreateClusterAsync();

        var active = await RunAsync(gateway, "clusters", "--json");
        var ended = await RunAsync(gateway, "clusters", "--json", "--status", "stopped");
        var bad = await RunAsync(gateway, "clusters", "--status", "sleeping");

        Assert.Equal([pending], JsonNode.Parse(active.Output)!.AsArray().Select(r => r!["name"]!.GetValue<string>()));
        Assert.Equal([stopped], JsonNode.Parse(ended.Output)!.AsArray().Select(r => r!["name"]!.GetValue<string>()));
        Assert.Equal(1, bad.Code);
        Assert.Contains("422", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_StopsAnotherUsersCluster_AndItsEventsNameTheAdmin()
    {
        await using var gateway = await StartAsync();
        using var alice = gateway.Client("alice");
        var cluster = await alice.CreateClusterAsync();

        var stopped = await RunAsync(gateway, "stop", cluster);

        Assert.Equal(0, stopped.Code);
        Assert.Contains($"Stopping cluster {cluster}.", stopped.Output, StringComparison.Ordinal);
        await alice.WaitForStatusAsync(cluster, "STOPPED");
        var events = await alice.GetJsonAsync($"api/v1/clusters/{cluster}/events");
        Assert.Contains("stopped by admin admin-api", events.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_OfAnUnknownCluster_FailsWithTheGatewaysAnswer()
    {
        await using var gateway = await StartAsync();

        var result = await RunAsync(gateway, "stop", "0123456789abcdef0123456789abcdef");

        Assert.Equal(1, result.Code);
        Assert.Contains("404", result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Output);
    }

    [Fact]
    public async Task AWrongToken_IsRefused_WithAHintWhereToLook()
    {
        await using var gateway = await StartAsync();

        var result = await RunAsync(gateway, gateway.PrivateAddress, "not-the-token-of-this-gateway-at-all", "clusters");

        Assert.Equal(1, result.Code);
        Assert.Contains("401", result.Error, StringComparison.Ordinal);
        Assert.Contains("DaskGateway.AdminApiToken", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePublicAddress_DoesNotTakeTheAdminToken()
    {
        await using var gateway = await StartAsync();

        var result = await RunAsync(gateway, gateway.ApiBase, AdminToken, "clusters");

        Assert.Equal(1, result.Code);
        Assert.Contains("401", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingAddressOrToken_AreUsageErrors_ThatSayWhatToSet()
    {
        var noUrl = await RunAsync(new Dictionary<string, string> { [AdminCommand.TokenVariable] = AdminToken }, "clusters");
        var noToken = await RunAsync(new Dictionary<string, string> { [AdminCommand.UrlVariable] = "http://127.0.0.1:1" }, "clusters");
        var badUrl = await RunAsync(new Dictionary<string, string> { [AdminCommand.TokenVariable] = AdminToken }, "clusters", "--url", "ftp://host");

        Assert.Equal((2, 2, 2), (noUrl.Code, noToken.Code, badUrl.Code));
        Assert.Contains(AdminCommand.UrlVariable, noUrl.Error, StringComparison.Ordinal);
        Assert.Contains(AdminCommand.TokenVariable, noToken.Error, StringComparison.Ordinal);
        Assert.Contains("ftp://host", badUrl.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheTokenFile_IsReadWithABound()
    {
        await using var gateway = await StartAsync();
        var directory = Directory.CreateTempSubdirectory("dg-admin-");
        try
        {
            var good = Path.Combine(directory.FullName, "token");
            await File.WriteAllTextAsync(good, AdminToken + "\n", TestContext.Current.CancellationToken);
            var huge = Path.Combine(directory.FullName, "huge");
            await File.WriteAllTextAsync(huge, new string('a', 10_000), TestContext.Current.CancellationToken);
            var environment = new Dictionary<string, string> { [AdminCommand.UrlVariable] = gateway.PrivateAddress.ToString() };

            var fromFile = await RunAsync(environment, "clusters", "--token-file", good);
            var tooLarge = await RunAsync(environment, "clusters", "--token-file", huge);
            var missing = await RunAsync(environment, "clusters", "--token-file", Path.Combine(directory.FullName, "absent"));

            Assert.Equal((0, 2, 2), (fromFile.Code, tooLarge.Code, missing.Code));
            Assert.Contains("does not hold a token", tooLarge.Error, StringComparison.Ordinal);
            Assert.Contains("cannot read", missing.Error, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task AGatewayThatDoesNotAnswer_IsAClearError()
    {
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        var result = await RunAsync(new Dictionary<string, string> { [AdminCommand.TokenVariable] = AdminToken, [AdminCommand.UrlVariable] = $"http://127.0.0.1:{port}/api" }, "clusters");

        Assert.Equal(1, result.Code);
        Assert.Contains("cannot reach the gateway", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ControlCharactersOfUsersValues_CannotReachTheTerminal() =>
        Assert.Equal("a?[2Jb?c", AdminOutput.Printable("a\u001b[2Jb\nc"));

    private static Task<TestGateway> StartAsync(params (string Setting, object? Value)[] settings) =>
        TestGateway.StartAsync([("DaskGateway.AdminApiToken", AdminToken), .. settings]);

    private static Task<CliResult> RunAsync(TestGateway gateway, params string[] args) => RunAsync(gateway, gateway.PrivateAddress, AdminToken, args);

    private static Task<CliResult> RunAsync(TestGateway gateway, Uri url, string token, params string[] args) =>
        RunAsync(new Dictionary<string, string> { [AdminCommand.UrlVariable] = url.ToString(), [AdminCommand.TokenVariable] = token }, args);

    private static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var root = new RootCommand { AdminCommand.Create(output, error, name => environment.GetValueOrDefault(name)) };
        var code = await root.Parse(["admin", .. args]).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    private sealed record CliResult(int Code, string Output, string Error)
    {
        public IReadOnlyList<string> Lines => Output.Split('\n');
    }
}
