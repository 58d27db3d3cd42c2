using System.Reflection;
using DaskGateway.Auth;
using DaskGateway.Backends;
using DaskGateway.Configuration;
using DaskGateway.Scripting;
using DaskGateway.Storage;

namespace DaskGateway.Hosting;

/// <summary>What the command line says about where configuration comes from.</summary>
/// <param name="ConfigFile">The <c>-f/--config</c> file, or null for the default file.</param>
/// <param name="ExtensionDirectories">Every <c>--extensions DIR</c>.</param>
/// <param name="Flags">The <c>--Section.Setting=value</c> flags (and <c>--log-level</c>).</param>
/// <param name="FlagErrors">Malformed flags.</param>
internal sealed record StartupArguments(string? ConfigFile, IReadOnlyList<string> ExtensionDirectories, GatewayConfig Flags, ConfigErrors FlagErrors);

/// <summary>
/// Builds the configuration in upstream's layers: defaults, then the config script (after the
/// extension directories it may use), then the command-line flags, which win; then checks it all and
/// reports every problem together.
/// </summary>
internal static class GatewayStartup
{
    public const string DefaultConfigFile = "dask_gateway_config.csx";

    /// <exception cref="ConfigurationException">The configuration has errors; all of them are listed.</exception>
    public static GatewayComponents Load(StartupArguments arguments, out ScriptingReport? report)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var types = GatewayConfigurationLoader.BuiltInTypes();
        var config = LoadConfig(arguments, types, out report);
        return GatewayConfigurationLoader.Load(config, types, arguments.FlagErrors);
    }

    /// <summary>
    /// Runs the config script (if any) and applies the command-line flags over it: the recorded
    /// settings, not yet bound to anything (the gateway and the kube-controller bind different sections).
    /// </summary>
    public static GatewayConfig LoadConfig(StartupArguments arguments, ConfigurableTypes types, out ScriptingReport? report)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var config = new GatewayConfig();
        var errors = arguments.FlagErrors;
        var configFile = FindConfigFile(arguments.ConfigFile, errors);
        var extensionPaths = Environment.GetEnvironmentVariable(ExtensionSources.EnvironmentVariable);

        // Without a config file or extension directories nothing is compiled or loaded: the
        // scripting assembly (and Roslyn behind it) stays unloaded.
        report = configFile is not null || arguments.ExtensionDirectories.Count > 0 || !string.IsNullOrWhiteSpace(extensionPaths)
            ? RunScripting(configFile, arguments.ExtensionDirectories, extensionPaths, config, types, errors)
            : null;

        foreach (var flag in arguments.Flags.Settings)
        {
            config.Set(flag.Section, flag.Setting, flag.Value, flag.Source);
        }

        return config;
    }

    /// <summary>The DaskGateway assemblies extensions and config scripts compile against.</summary>
    public static IReadOnlyList<Assembly> HostAssemblies() =>
    [
        typeof(Authenticator).Assembly,
        typeof(SimpleAuthenticator).Assembly,
        typeof(GatewayConfig).Assembly,
        typeof(ClusterStoreFactory).Assembly,
        typeof(LocalBackend).Assembly,
        typeof(GatewayStartup).Assembly,
    ];

    /// <summary>The full path of the config file; null when the default file is absent. An explicit file must exist.</summary>
    private static string? FindConfigFile(string? explicitFile, ConfigErrors errors)
    {
        var path = Path.GetFullPath(explicitFile ?? DefaultConfigFile);
        if (File.Exists(path))
        {
            return path;
        }

        if (explicitFile is not null)
        {
            errors.Add($"Config file '{explicitFile}' does not exist");
        }

        return null;
    }

    private static ScriptingReport RunScripting(
        string? configFile, IReadOnlyList<string> directories, string? extensionPaths, GatewayConfig config, ConfigurableTypes types, ConfigErrors errors)
    {
        var sources = ExtensionSources.Find(configFile, directories, extensionPaths, errors);
        return ScriptedConfiguration.Load(configFile, sources, HostAssemblies(), CompilationCache.FromEnvironment(), config, types, errors);
    }
}
