using DaskGateway.Configuration;
using DaskGateway.Hosting;
using DaskGateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaskGateway.Tests;

/// <summary>
/// Simple authentication without a password lets anyone in, so the embedded default must not offer
/// that to other machines unless the operator chose an address, and must say so when they did.
/// </summary>
public sealed class PasswordlessDefaultsTests
{
    private static GatewayComponents Load(params (string Section, string Setting, object? Value, SettingSource Source)[] settings)
    {
        var config = new GatewayConfig();
        config.Set("DBBackendBase", "DbUrl", "sqlite:///:memory:", SettingSource.Code);
        foreach (var (section, setting, value, source) in settings)
        {
            config.Set(section, setting, value, source);
        }

        return GatewayConfigurationLoader.Load(config, GatewayConfigurationLoader.BuiltInTypes(), loggerFactory: NullLoggerFactory.Instance);
    }

    [Fact]
    public void RemoteUserOnPasswordlessDefaults_CannotReachThePublicPort_AndTheBannerSaysHowToOpenIt()
    {
        var components = Load();

        Assert.Equal("127.0.0.1:8000", components.Proxy.Address);
        Assert.True(components.PublicBoundToLoopback);
        var banner = StartupBanner.Format(components, new Uri("http://127.0.0.1:8000"), new Uri("http://127.0.0.1:40000"));
        Assert.Contains("Only this machine can connect", banner, StringComparison.Ordinal);
        Assert.Contains("--SimpleAuthenticator.Password=SECRET --Proxy.Address=:8000", banner, StringComparison.Ordinal);
    }

    [Fact]
    public void ChosenAddressOrPassword_KeepsThePublicAddressAsConfigured()
    {
        var fromFile = Load(("Proxy", "address", ":9000", SettingSource.File("/etc/dask-gateway/dask_gateway_config.csx", 3)));
        Assert.Equal(":9000", fromFile.Proxy.Address);
        Assert.False(fromFile.PublicBoundToLoopback);

        var withPassword = Load(("SimpleAuthenticator", "Password", "secret", SettingSource.CommandLine("--SimpleAuthenticator.Password=secret")));
        Assert.Equal(":8000", withPassword.Proxy.Address);
        Assert.DoesNotContain("Only this machine", StartupBanner.Format(withPassword, new Uri("http://0.0.0.0:8000"), new Uri("http://127.0.0.1:40000")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemoteUserOnAnOpenedPasswordlessGateway_IsWarnedAboutAtStart()
    {
        await using var server = ServerProcess.Start("--Proxy.Address=:0", "--DaskGateway.Address=127.0.0.1:0", "--DBBackendBase.DbUrl=sqlite:///:memory:");

        await server.WaitUntilListeningAsync();

        // The banner's lines arrive one by one after the line that names the addresses.
        await Eventually.WaitUntilAsync(
            () => server.StandardOutput.Contains("WARNING: no password is set and other machines can reach this address", StringComparison.Ordinal),
            "the banner warns");
        await Eventually.WaitUntilAsync(
            () => (server.StandardOutput + server.StandardError).Contains("is reachable from other machines and simple authentication accepts any user", StringComparison.Ordinal),
            "the start-up warning is logged");
    }
}
