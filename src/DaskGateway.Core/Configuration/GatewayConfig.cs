using System.Diagnostics.CodeAnalysis;

namespace DaskGateway.Configuration;

/// <summary>One value recorded for <c>Section.Setting</c>, as given (not converted or validated).</summary>
public sealed record RecordedSetting(string Section, string Setting, object? Value, SettingSource Source);

/// <summary>
/// The recorded configuration: <c>c.Section.Setting = value</c> from the config script, command-line
/// flags and the program. Nothing is validated while recording; <see cref="SettingsBinder"/> binds and
/// validates afterwards. Names are kept as written, so <c>Proxy.address</c> and <c>Proxy.Address</c>
/// are two records; the later one wins when both reach the same property.
/// </summary>
public sealed class GatewayConfig
{
    private readonly OrderedDictionary<(string Section, string Setting), RecordedSetting> _settings = [];

    /// <summary>The recorded values in recording order (a value recorded again moves to the end).</summary>
    public IEnumerable<RecordedSetting> Settings => _settings.Values;

    public int Count => _settings.Count;

    public void Set(string section, string setting, object? value, SettingSource source)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(section);
        ArgumentException.ThrowIfNullOrWhiteSpace(setting);
        var key = (section, setting);
        _settings.Remove(key);
        _settings.Add(key, new RecordedSetting(section, setting, value, source));
    }

    public void Update(string section, IReadOnlyDictionary<string, object?> values, SettingSource source)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var (setting, value) in values)
        {
            Set(section, setting, value, source);
        }
    }

    /// <summary>Finds the value recorded under exactly this section and setting name.</summary>
    public bool TryGet(string section, string setting, [NotNullWhen(true)] out RecordedSetting? recorded) =>
        _settings.TryGetValue((section, setting), out recorded);
}
