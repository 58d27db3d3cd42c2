using System.CommandLine;
using DaskGateway.Configuration;
using DaskGateway.Hosting;

namespace DaskGateway;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var flags = new GatewayConfig();
        var flagErrors = new ConfigErrors();
        var remaining = CommandLineSettings.Parse(args, flags, flagErrors);

        var configFile = new Option<string?>("--config", "-f")
        {
            HelpName = "FILE",
            Description = $"The config file, a C# script (default: {GatewayStartup.DefaultConfigFile} in the working directory, if it exists). Its directory is an extension directory.",
        };
        var extensions = new Option<string[]>("--extensions")
        {
            HelpName = "DIR",
            Description = "An extension directory: its *.cs files are compiled and its *.dll files loaded before the config script runs (repeatable; also DASK_GATEWAY_EXTENSION_PATHS, ':'-separated).",
        };
        var logLevel = new Option<string?>("--log-level") { HelpName = "LEVEL",  Description = "Log level: DEBUG, INFO, WARN or ERROR (same as --DaskGateway.LogLevel)." };
        var output = new Option<string?>("--output") { HelpName = "PATH",  Description = $"Where to write the config file (default: {GatewayStartup.DefaultConfigFile})." };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing file." };
        var generateConfig = new Command("generate-config", "Writes a commented config file listing every setting with its default and description.")
        {
            output,
            force,
        };
        var root = new RootCommand(
            "Dask Gateway server: authenticates users, starts Dask clusters on a backend and carries their traffic through one public port.\n"
            + "Any setting can be given as --Section.Setting=value (overriding the config file); see the list below.")
        {
            configFile,
            extensions,
            logLevel,
            generateConfig,
        };

        var admin = Admin.AdminCommand.Create(Console.Out, Console.Error, Environment.GetEnvironmentVariable);
        if (remaining.Any(a => a is "-h" or "--help" or "-?") && !remaining.Contains(generateConfig.Name) && !remaining.Contains(admin.Name))
        {
            await root.Parse(["--help"]).InvokeAsync();
            Console.WriteLine();
            Console.WriteLine("Settings (--Section.Setting=value; snake_case names are accepted too):");
            Console.WriteLine(SettingsHelp.Describe(GatewayConfigurationLoader.BuiltInTypes()));
            return 0;
        }

        var exitCode = 0;
        generateConfig.SetAction(parseResult =>
        {
            exitCode = flags.Count > 0 || flagErrors.HasErrors
                ? Fail("generate-config takes no --Section.Setting flags")
                : ConfigGenerator.Run(parseResult.GetValue(output), parseResult.GetValue(force), Console.Out, Console.Error);
        });
        root.SetAction(async (parseResult, cancellationToken) =>
        {
            if (parseResult.GetValue(logLevel) is { } level)
            {
                flags.Set("DaskGateway", nameof(GatewaySettings.LogLevel), level, SettingSource.CommandLine("--log-level " + level));
            }

            var arguments = new StartupArguments(parseResult.GetValue(configFile), parseResult.GetValue(extensions) ?? [], flags, flagErrors);
            exitCode = await ServeAsync(arguments);
        });

        var proxy = new Command("proxy", "Runs the public entry point alone, following the routes of the API server at --Proxy.GatewayUrl.") { logLevel };
        proxy.SetAction(async (parseResult, cancellationToken) =>
        {
            if (parseResult.GetValue(logLevel) is { } level)
            {
                flags.Set("DaskGateway", nameof(GatewaySettings.LogLevel), level, SettingSource.CommandLine("--log-level " + level));
            }

            // The standalone proxy is configured by flags; it takes its routes from the API server.
            exitCode = await ProxyHost.RunAsync(flags, GatewayConfigurationLoader.BuiltInTypes(), flagErrors);
        });
        root.Subcommands.Add(proxy);

        var kubeController = new Command("kube-controller", "Runs the Kubernetes controller: turns this gateway instance's DaskCluster resources into Secrets, pods and Services.")
        {
            configFile,
            extensions,
            logLevel,
        };
        kubeController.SetAction(async (parseResult, cancellationToken) =>
        {
            if (parseResult.GetValue(logLevel) is { } level)
            {
                flags.Set("KubeController", nameof(Backends.Kubernetes.KubeControllerSettings.LogLevel), level, SettingSource.CommandLine("--log-level " + level));
            }

            var arguments = new StartupArguments(parseResult.GetValue(configFile), parseResult.GetValue(extensions) ?? [], flags, flagErrors);
            exitCode = await KubeControllerHost.RunAsync(arguments);
        });
        root.Subcommands.Add(kubeController);
        root.Subcommands.Add(admin);

        var parsed = root.Parse([.. remaining]);
        var result = await parsed.InvokeAsync();
        return result != 0 ? result : exitCode;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine("dask-gateway-server: " + message);
        return 1;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "The process boundary.")]
    private static async Task<int> ServeAsync(StartupArguments arguments)
    {
        GatewayComponents components;
        Scripting.ScriptingReport? report;
        try
        {
            components = GatewayStartup.Load(arguments, out report);
        }
        catch (ConfigurationException e)
        {
            await Console.Error.WriteLineAsync("dask-gateway-server: " + e.Message);
            return 1;
        }

        await using var app = GatewayHost.Build(components);
        if (report is not null)
        {
            ScriptingLog.Report(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DaskGateway.Scripting"), report);
        }

        try
        {
            await app.StartAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The process boundary: whatever setting up failed with (an extension authenticator's
            // SetupAsync included) ends the process with a message instead of a crash dump.
            await Console.Error.WriteLineAsync($"dask-gateway-server: failed to start: {(e is InvalidOperationException or ConfigurationException or IOException ? "" : e.GetType().Name + ": ")}{e.Message}");
            return 1;
        }

        var (publicAddress, privateAddress) = GatewayHost.GetAddresses(app);
        Console.WriteLine(StartupBanner.Format(components, publicAddress, privateAddress));
        await app.WaitForShutdownAsync();
        return 0;
    }
}
