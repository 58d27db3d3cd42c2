using System.Globalization;

namespace DaskGateway.Configuration;

/// <summary>The kinds of place a recorded setting value comes from.</summary>
public enum SettingSourceKind
{
    Code,
    File,
    CommandLine,
}

/// <summary>
/// Where a recorded value came from, for error messages: a config file line, a command-line flag
/// or the program itself (<see cref="Code"/>, also the default value).
/// </summary>
public readonly record struct SettingSource
{
    private SettingSource(SettingSourceKind kind, string? path, int line, string? flag)
    {
        Kind = kind;
        Path = path;
        Line = line;
        Flag = flag;
    }

    public SettingSourceKind Kind { get; }

    /// <summary>The config file, for <see cref="SettingSourceKind.File"/>.</summary>
    public string? Path { get; }

    /// <summary>The 1-based line in <see cref="Path"/>, for <see cref="SettingSourceKind.File"/>.</summary>
    public int Line { get; }

    /// <summary>The flag as given, for <see cref="SettingSourceKind.CommandLine"/>.</summary>
    public string? Flag { get; }

    public static SettingSource Code => default;

    public static SettingSource File(string path, int line)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new(SettingSourceKind.File, path, line, null);
    }

    public static SettingSource CommandLine(string flag)
    {
        ArgumentNullException.ThrowIfNull(flag);
        return new(SettingSourceKind.CommandLine, null, 0, flag);
    }

    public override string ToString() => Kind switch
    {
        SettingSourceKind.File => string.Create(CultureInfo.InvariantCulture, $"{Path}:{Line}"),
        SettingSourceKind.CommandLine => $"command line ({Flag})",
        _ => "code",
    };
}
