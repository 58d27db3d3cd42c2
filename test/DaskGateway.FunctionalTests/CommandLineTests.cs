using System.Net;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public async Task Flags_ConfigureTheServer_WhichPrintsBothAddresses()
    {
        await using var server = ServerProcess.Start("--Proxy.Address=127.0.0.1:0", "--DaskGateway.Address=127.0.0.1:0", "--SimpleAuthenticator.password=pw", "--log-level", "WARN");

        var (publicAddress, privateAddress) = await server.WaitUntilListeningAsync();

        using var alice = new GatewayClient(publicAddress, "alice", "pw");
        Assert.Empty((await alice.GetJsonAsync("api/v1/clusters/")).AsObject());
        using var wrong = new GatewayClient(privateAddress, "alice", "not-pw");
        using var rejected = await wrong.GetAsync("api/v1/clusters/");
        Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
        Assert.Contains("Gateway(\"" + publicAddress.ToString().TrimEnd('/') + "\"", server.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigurationErrors_AreAllReportedBeforeAnythingListens()
    {
        await using var server = ServerProcess.Start(
            "--Proxi.Address=:1",
            "--Proxy.Adress=x",
            "--DaskGateway.MaxRequestBodySize=abc",
            "--ClusterConfig.WorkerMemory=2GB",
            "--DaskGateway.AuthenticatorClass=simpel",
            "--DaskGateway.BackendClass=DaskGateway.Auth.SimpleAuthenticator",
            "--ClusterConfig.cluster_max_workers=-1",
            "--Proxy.Address=127.0.0.1:0",
            "--DaskGateway.Address=127.0.0.1:0",
            "--Proxy.Prefix");

        Assert.Equal(1, await server.WaitForExitAsync());

        var errors = server.StandardError;
        Assert.Contains("Configuration has 8 error(s)", errors, StringComparison.Ordinal);
        Assert.Contains("Unknown section 'Proxi'. Did you mean 'Proxy'?", errors, StringComparison.Ordinal);
        Assert.Contains("Unknown setting 'Adress' in section 'Proxy'. Did you mean 'Address'?", errors, StringComparison.Ordinal);
        Assert.Contains("--DaskGateway.MaxRequestBodySize=abc): DaskGateway.MaxRequestBodySize: expected an integer, got 'abc'", errors, StringComparison.Ordinal);
        Assert.Contains("ClusterConfig.WorkerMemory: expected a memory size, got '2GB'", errors, StringComparison.Ordinal);
        Assert.Contains("unknown class 'simpel'", errors, StringComparison.Ordinal);
        Assert.Contains("DaskGateway.BackendClass", errors, StringComparison.Ordinal);
        Assert.Contains("ClusterConfig.cluster_max_workers: must be >= 0, got -1", errors, StringComparison.Ordinal);
        Assert.Contains("--Proxy.Prefix", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("listening", server.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ListsEverySettingWithDefaultAndDescription()
    {
        await using var server = ServerProcess.Start("--help");

        Assert.Equal(0, await server.WaitForExitAsync());

        var help = server.StandardOutput;
        Assert.Contains("--log-level", help, StringComparison.Ordinal);
        Assert.Contains("--DaskGateway.AuthenticatorClass=", help, StringComparison.Ordinal);
        Assert.Contains("--Proxy.Prefix=<string>", help, StringComparison.Ordinal);
        Assert.Contains("--ClusterConfig.WorkerMemory=<memory size>", help, StringComparison.Ordinal);
        Assert.Contains("Default: 2.00 GiB", help, StringComparison.Ordinal);
        Assert.Contains("--SimpleAuthenticator.Password=<string>", help, StringComparison.Ordinal);
        Assert.Contains("Password shared by all users", help, StringComparison.Ordinal);
        Assert.Contains("--Authenticator.CacheMaxAge=<integer>", help, StringComparison.Ordinal);
    }
}
