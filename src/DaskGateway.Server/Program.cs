using System.CommandLine;
using DaskGateway.Configuration;
using DaskGateway.Hosting;

namespace DaskGateway;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var types = GatewayConfigurationLoader.BuiltInTypes();
        var config = new GatewayConfig();
        var errors = new ConfigErrors();
        var remaining = CommandLineSettings.Parse(args, config, errors);

        var logLevel = new Option<string?>("--log-level") { Description = "Log level: DEBUG, INFO, WARN or ERROR (same as --DaskGateway.LogLevel)." };
        var root = new RootCommand(
            "Dask Gateway server: authenticates users, starts Dask clusters on a backend and carries their traffic through one public port.\n"
            + "Any setting can be given as --Section.Setting=value; see the list below.")
        {
            logLevel,
        };

        if (remaining.Any(a => a is "-h" or "--help" or "-?"))
        {
            await root.Parse(["--help"]).InvokeAsync();
            Console.WriteLine();
            Console.WriteLine("Settings (--Section.Setting=value; snake_case names are accepted too):");
            Console.WriteLine(SettingsHelp.Describe(types));
            return 0;
        }

        var exitCode = 0;
        root.SetAction(async (parseResult, cancellationToken) =>
        {
            if (parseResult.GetValue(logLevel) is { } level)
            {
                config.Set("DaskGateway", nameof(GatewaySettings.LogLevel), level, SettingSource.CommandLine("--log-level " + level));
            }

            exitCode = await ServeAsync(config, types, errors);
        });

        var proxy = new Command("proxy", "Runs the public entry point alone, following the routes of the API server at --Proxy.GatewayUrl.") { logLevel };
        proxy.SetAction(async (parseResult, cancellationToken) =>
        {
            if (parseResult.GetValue(logLevel) is { } level)
            {
                config.Set("DaskGateway", nameof(GatewaySettings.LogLevel), level, SettingSource.CommandLine("--log-level " + level));
            }

            exitCode = await ProxyHost.RunAsync(config, types, errors);
        });
        root.Subcommands.Add(proxy);

        var parsed = root.Parse([.. remaining]);
        var result = await parsed.InvokeAsync();
        return result != 0 ? result : exitCode;
    }

    private static async Task<int> ServeAsync(GatewayConfig config, ConfigurableTypes types, ConfigErrors flagErrors)
    {
        GatewayComponents components;
        try
        {
            components = GatewayConfigurationLoader.Load(config, types, flagErrors);
        }
        catch (ConfigurationException e)
        {
            await Console.Error.WriteLineAsync("dask-gateway-server: " + e.Message);
            return 1;
        }

        await using var app = GatewayHost.Build(components);
        try
        {
            await app.StartAsync();
        }
        catch (Exception e) when (e is InvalidOperationException or ConfigurationException or IOException)
        {
            await Console.Error.WriteLineAsync("dask-gateway-server: failed to start: " + e.Message);
            return 1;
        }

        var (publicAddress, privateAddress) = GatewayHost.GetAddresses(app);
        Console.WriteLine(StartupBanner.Format(components, publicAddress, privateAddress));
        await app.WaitForShutdownAsync();
        return 0;
    }
}
