using DaskGateway.Auth;
using DaskGateway.Configuration;
using DaskGateway.Scripting;

namespace DaskGateway.Tests.Scripting;

/// <summary>A temporary directory of config scripts and extensions, run as the gateway runs them.</summary>
internal sealed class ScriptRun
{
    /// <param name="directory">An existing directory to run in again; a new temporary one by default.</param>
    public ScriptRun(string? directory = null)
    {
        Directory = directory ?? System.IO.Directory.CreateTempSubdirectory("dask-gateway-scripting-").FullName;
    }

    public string Directory { get; }

    public GatewayConfig Config { get; } = new();

    public ConfigurableTypes Types { get; } = new();

    public ConfigErrors Errors { get; } = new();

    public string Write(string relativePath, string text)
    {
        var path = Path.Combine(Directory, relativePath);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Loads the extension directories (the config file's, and <paramref name="extensionDirectories"/>), then runs the config file.</summary>
    public ScriptingReport Run(string? configFile, string? cacheDirectory = null, params string[] extensionDirectories)
    {
        var sources = ExtensionSources.Find(configFile, extensionDirectories, null, Errors);
        return ScriptedConfiguration.Load(
            configFile,
            sources,
            [typeof(Authenticator).Assembly, typeof(GatewayConfig).Assembly],
            new CompilationCache(cacheDirectory),
            Config,
            Types,
            Errors);
    }

    public RecordedSetting Recorded(string section, string setting)
    {
        Assert.True(Config.TryGet(section, setting, out var recorded), $"{section}.{setting} was not recorded; errors: {string.Join("; ", Errors.Errors)}");
        return recorded;
    }

    public void AssertNoErrors() => Assert.True(!Errors.HasErrors, string.Join("\n", Errors.Errors));
}
