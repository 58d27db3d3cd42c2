using DaskGateway.Configuration;

namespace DaskGateway.Scripting;

/// <summary>
/// The extension directories (the config file's directory, every <c>--extensions DIR</c>, and
/// <c>DASK_GATEWAY_EXTENSION_PATHS</c>) and the <c>*.cs</c> and <c>*.dll</c> files directly in them.
/// </summary>
internal sealed record ExtensionSources(IReadOnlyList<string> Directories, IReadOnlyList<string> SourceFiles, IReadOnlyList<string> AssemblyFiles)
{
    /// <summary>Extra extension directories, separated by <c>:</c>.</summary>
    public const string EnvironmentVariable = "DASK_GATEWAY_EXTENSION_PATHS";

    public bool IsEmpty => SourceFiles.Count == 0 && AssemblyFiles.Count == 0;

    /// <summary>Finds the directories and their files; a directory that does not exist is an error.</summary>
    public static ExtensionSources Find(string? configFile, IEnumerable<string> commandLineDirectories, string? environmentValue, ConfigErrors errors)
    {
        ArgumentNullException.ThrowIfNull(commandLineDirectories);
        ArgumentNullException.ThrowIfNull(errors);
        var directories = new List<string>();
        if (configFile is not null)
        {
            Add(Path.GetDirectoryName(Path.GetFullPath(configFile))!, "the config file's directory");
        }

        foreach (var directory in commandLineDirectories)
        {
            Add(directory, "--extensions");
        }

        foreach (var directory in (environmentValue ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            Add(directory, EnvironmentVariable);
        }

        var sources = new List<string>();
        var assemblies = new List<string>();
        foreach (var directory in directories)
        {
            try
            {
                sources.AddRange(Directory.EnumerateFiles(directory, "*.cs").Order(StringComparer.Ordinal));
                assemblies.AddRange(Directory.EnumerateFiles(directory, "*.dll").Order(StringComparer.Ordinal));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                errors.Add($"Extension directory '{directory}' cannot be read: {exception.Message}");
            }
        }

        return new ExtensionSources(directories, sources, assemblies);

        void Add(string directory, string origin)
        {
            var full = Path.GetFullPath(directory);
            if (!Directory.Exists(full))
            {
                errors.Add($"Extension directory '{directory}' ({origin}) does not exist");
            }
            else if (!directories.Contains(full, StringComparer.Ordinal))
            {
                directories.Add(full);
            }
        }
    }
}
