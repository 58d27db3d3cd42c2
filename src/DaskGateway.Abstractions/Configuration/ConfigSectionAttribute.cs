namespace DaskGateway.Configuration;

/// <summary>
/// Names the configuration section of a configurable class when it differs from the class name
/// (for example the gateway's own settings are the <c>DaskGateway</c> section).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ConfigSectionAttribute(string name) : Attribute
{
    /// <summary>The section name used in configuration.</summary>
    public string Name { get; } = name;
}
