namespace DaskGateway.Configuration;

/// <summary>
/// Excludes a public settable property from the settings of its class: configuration can neither
/// set it nor list it in <c>--help</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SettingIgnoreAttribute : Attribute
{
}
