using System.Collections;
using System.Dynamic;
using DaskGateway.Configuration;

namespace DaskGateway.Scripting;

/// <summary>
/// One section of the config script's <c>c</c>: <c>c.Backend.ClusterOptions = value</c>,
/// <c>c["Backend"]["ClusterOptions"] = value</c> and <c>c["Backend"].Update(dictionary)</c> record
/// values with the script line they come from. Reading a setting gives the value the script recorded.
/// </summary>
public sealed class ConfigSection : DynamicObject
{
    private readonly GatewayConfig _config;
    private readonly ScriptFrames _frames;

    internal ConfigSection(string name, GatewayConfig config, ScriptFrames frames)
    {
        Name = name;
        _config = config;
        _frames = frames;
    }

    /// <summary>The section's name, as written in the script.</summary>
    public string Name { get; }

    /// <summary>Records (set) or reads back (get) the value of <paramref name="setting"/>.</summary>
    /// <exception cref="KeyNotFoundException">On reading: the script recorded no value for the setting.</exception>
    public object? this[string setting]
    {
        get
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(setting);
            return _config.TryGet(Name, setting, out var recorded)
                ? recorded.Value
                : throw new KeyNotFoundException(
                    $"c.{Name}.{setting} has no value yet: a script reads back only the values recorded before "
                    + $"(defaults are not visible here). Nested sections such as c.{Name}.{setting}.X are not supported: write c.{setting}.X.");
        }

        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(setting);
            _config.Set(Name, setting, value, _frames.CallerSource());
        }
    }

    /// <summary>Records every entry of <paramref name="values"/>: keys are setting names.</summary>
    public void Update(IDictionary values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var source = _frames.CallerSource();
        var entries = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in values)
        {
            if (entry.Key is not string key || string.IsNullOrWhiteSpace(key))
            {
                throw new ArgumentException($"c.{Name}.Update: every key must be a setting name, got {entry.Key ?? "null"}.", nameof(values));
            }

            entries[key] = entry.Value;
        }

        _config.Update(Name, entries, source);
    }

    /// <inheritdoc/>
    public override bool TryGetMember(GetMemberBinder binder, out object? result)
    {
        ArgumentNullException.ThrowIfNull(binder);
        result = this[binder.Name];
        return true;
    }

    /// <inheritdoc/>
    public override bool TrySetMember(SetMemberBinder binder, object? value)
    {
        ArgumentNullException.ThrowIfNull(binder);
        this[binder.Name] = value;
        return true;
    }

    /// <inheritdoc/>
    public override IEnumerable<string> GetDynamicMemberNames() =>
        _config.Settings.Where(recorded => recorded.Section == Name).Select(recorded => recorded.Setting);

    /// <inheritdoc/>
    public override string ToString() => $"<config section {Name}>";
}
