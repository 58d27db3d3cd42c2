using System.Net;
using System.Text.Json;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

/// <summary>What a client chooses (a path, a user name) can only ever be part of one log line.</summary>
public sealed class LogInjectionTests
{
    [Fact]
    public async Task CrLfInARequestPathOrAUserName_CannotForgeLogLines()
    {
        const string ForgedPath = "[W 2026-01-01 00:00:00.000 DaskGateway.Api] FORGED-BY-PATH";
        // No colon: Basic credentials end the user name at the first one.
        const string ForgedUser = "[I 2026-01-01 DaskGateway.Api] FORGED-BY-USER";
        const string UserName = "mallory\n" + ForgedUser;

        // The simple authenticator refuses control characters in names; an extension's may not.
        var extensions = Directory.CreateTempSubdirectory("dask-gateway-ext-").FullName;
        File.Copy(Path.Combine(AppContext.BaseDirectory, "DaskGateway.Samples.CustomAuthenticator.dll"), Path.Combine(extensions, "DaskGateway.Samples.CustomAuthenticator.dll"));
        await using var server = ServerProcess.StartIn(null, new Dictionary<string, string?> { ["DASK_GATEWAY_EXTENSION_PATHS"] = extensions },
        [
            "--Proxy.Address=127.0.0.1:0",
            "--DaskGateway.Address=127.0.0.1:0",
            "--log-level",
            "DEBUG",
            "--DaskGateway.AuthenticatorClass=DaskGateway.Samples.CustomAuthenticator.MyAuthenticator",
            "--MyAuthenticator.ApiKeys=" + JsonSerializer.Serialize(new Dictionary<string, string> { [UserName] = "key" }),
        ]);
        var (publicAddress, _) = await server.WaitUntilListeningAsync();

        using var mallory = new GatewayClient(publicAddress, UserName, "key");
        using (var listed = await mallory.GetAsync("api/v1/clusters/"))
        {
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        }

        using (var probed = await mallory.GetAsync("api/v1/clusters/x%0D%0A" + Uri.EscapeDataString(ForgedPath)))
        {
            Assert.Equal(HttpStatusCode.NotFound, probed.StatusCode);
        }

        await Eventually.WaitUntilAsync(
            () => server.StandardOutput.Contains("FORGED-BY-PATH", StringComparison.Ordinal) && server.StandardOutput.Contains("FORGED-BY-USER", StringComparison.Ordinal),
            "the gateway logged both requests");
        var lines = server.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var byPath = Assert.Single(lines, line => line.Contains("FORGED-BY-PATH", StringComparison.Ordinal));
        Assert.Contains(@"/api/v1/clusters/x\r\n" + ForgedPath, byPath, StringComparison.Ordinal);
        Assert.StartsWith("[W ", byPath, StringComparison.Ordinal);
        Assert.All(
            lines.Where(line => line.Contains("FORGED-BY-USER", StringComparison.Ordinal)),
            line => Assert.Contains(@"mallory\n" + ForgedUser, line, StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("[D ", StringComparison.Ordinal) && line.Contains(@"Authenticated user mallory\n" + ForgedUser, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => line.StartsWith(ForgedPath, StringComparison.Ordinal) || line.StartsWith(ForgedUser, StringComparison.Ordinal));
    }
}
