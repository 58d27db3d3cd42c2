using System.Diagnostics.CodeAnalysis;

namespace DaskGateway.Scripting;

/// <summary>
/// What a config script (<c>dask_gateway_config.csx</c>) sees besides its usings: <c>c</c>,
/// <see cref="LoadSubconfig"/>, <see cref="ConfigFile"/> and <see cref="GetConfig"/>, the twins of
/// upstream's names in a Python config file.
/// </summary>
public sealed class ConfigGlobals
{
    private readonly Action<string, string> _loadSubconfig;

    internal ConfigGlobals(ConfigObject config, string configFile, Action<string, string> loadSubconfig)
    {
        c = config;
        ConfigFile = configFile;
        _loadSubconfig = loadSubconfig;
    }

    /// <summary>The configuration: <c>c.Section.Setting = value</c>, <c>c["Section"].Update(dictionary)</c>.</summary>
    [SuppressMessage("Style", "IDE1006:Naming Styles", Justification = "Upstream's name for the config object.")]
    [SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "Upstream's name.")]
    public dynamic c { get; }

    /// <summary>The full path of this script (upstream's <c>__file__</c>).</summary>
    public string ConfigFile { get; }

    /// <summary>The directory of this script.</summary>
    public string ConfigDirectory => Path.GetDirectoryName(ConfigFile) ?? ".";

    /// <summary>Returns <c>c</c> (upstream's <c>get_config()</c>).</summary>
    public dynamic GetConfig() => c;

    /// <summary>
    /// Runs another config script into the same <c>c</c> (upstream's <c>load_subconfig</c>); a
    /// relative path is relative to this script's directory.
    /// </summary>
    public void LoadSubconfig(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _loadSubconfig(ConfigFile, path);
    }
}
