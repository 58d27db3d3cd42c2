using System.Text;

namespace DaskGateway.Configuration;

/// <summary>One configuration problem; <see cref="ToString"/> is <c>source: Section.Setting: message</c>.</summary>
public sealed record ConfigError(string Message, SettingSource? Source = null, string? Section = null, string? Setting = null)
{
    public override string ToString()
    {
        var text = new StringBuilder();
        if (Source is { } source)
        {
            text.Append(source.ToString()).Append(": ");
        }

        if (Section is not null || Setting is not null)
        {
            text.Append(string.Join('.', new[] { Section, Setting }.Where(part => part is not null))).Append(": ");
        }

        return text.Append(Message).ToString();
    }
}

/// <summary>Collects every configuration problem so that all are reported together.</summary>
public sealed class ConfigErrors
{
    private readonly List<ConfigError> _errors = [];

    public IReadOnlyList<ConfigError> Errors => _errors;

    public bool HasErrors => _errors.Count > 0;

    /// <summary>Adds an error; the same error added twice (e.g. one value bound twice) is kept once.</summary>
    public void Add(ConfigError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (!_errors.Contains(error))
        {
            _errors.Add(error);
        }
    }

    public void Add(string message, SettingSource? source = null, string? section = null, string? setting = null) =>
        Add(new ConfigError(message, source, section, setting));

    public void ThrowIfAny()
    {
        if (HasErrors)
        {
            throw new ConfigurationException([.. _errors]);
        }
    }
}

/// <summary>The configuration is invalid; <see cref="Exception.Message"/> lists every error.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException()
        : this("Configuration is invalid.")
    {
    }

    public ConfigurationException(string message)
        : this(message, null)
    {
    }

    public ConfigurationException(string message, Exception? innerException)
        : base(message, innerException) => Errors = [new ConfigError(message)];

    public ConfigurationException(IReadOnlyList<ConfigError> errors)
        : base(Describe(errors)) => Errors = errors;

    public IReadOnlyList<ConfigError> Errors { get; }

    private static string Describe(IReadOnlyList<ConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var text = new StringBuilder().Append("Configuration has ").Append(errors.Count).Append(" error(s):");
        foreach (var error in errors)
        {
            text.Append('\n').Append("  ").Append(error.ToString());
        }

        return text.ToString();
    }
}
