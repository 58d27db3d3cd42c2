using System.Dynamic;

namespace DaskGateway.Scripting;

/// <summary>
/// The config script's <c>c</c>: <c>c.Section.Setting = value</c> and <c>c["Section"]</c> reach a
/// <see cref="ConfigSection"/>, which records values for the gateway to check and bind after the
/// script ran. Nothing is validated while the script runs.
/// </summary>
public sealed class ConfigObject : DynamicObject
{
    private readonly Configuration.GatewayConfig _config;
    private readonly ScriptFrames _frames;

    internal ConfigObject(Configuration.GatewayConfig config, ScriptFrames frames)
    {
        _config = config;
        _frames = frames;
    }

    /// <summary>The section named <paramref name="section"/> (a configurable class's name).</summary>
    public ConfigSection this[string section]
    {
        get
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(section);
            return new ConfigSection(section, _config, _frames);
        }
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
        throw new InvalidOperationException(
            $"c.{binder.Name} = ... names no setting: write c.Section.Setting = value (for example c.{binder.Name}.Setting = value).");
    }

    /// <inheritdoc/>
    public override IEnumerable<string> GetDynamicMemberNames() =>
        _config.Settings.Select(recorded => recorded.Section).Distinct(StringComparer.Ordinal);

    /// <inheritdoc/>
    public override string ToString() => $"<config with {_config.Count} recorded value(s)>";
}
