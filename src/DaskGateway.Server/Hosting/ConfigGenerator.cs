using DaskGateway.Configuration;

namespace DaskGateway.Hosting;

/// <summary><c>dask-gateway-server generate-config</c>: writes the commented default config script.</summary>
internal static class ConfigGenerator
{
    /// <returns>The exit code.</returns>
    public static int Run(string? output, bool force, TextWriter stdout, TextWriter stderr)
    {
        var path = Path.GetFullPath(output ?? GatewayStartup.DefaultConfigFile);
        var directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            stderr.WriteLine($"'{directory}' does not exist. The destination directory must exist before generating config file.");
            return 1;
        }

        if (File.Exists(path) && !force)
        {
            stderr.WriteLine("Config file already exists, use `--force` to overwrite");
            return 1;
        }

        stdout.WriteLine($"Writing default config to: {path}");
        var version = typeof(ConfigGenerator).Assembly.GetName().Version?.ToString(3) ?? "";
        File.WriteAllText(path, ConfigScriptTemplate.Generate(GatewayConfigurationLoader.BuiltInTypes(), version));
        return 0;
    }
}
