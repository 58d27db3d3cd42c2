namespace DaskGateway.Configuration;

/// <summary>
/// Another name a setting answers to, besides its property name and that name in snake_case
/// (which is always accepted, as upstream's traits are spelled).
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true)]
public sealed class SettingAliasAttribute(string alias) : Attribute
{
    /// <summary>The alternative name.</summary>
    public string Alias { get; } = alias;
}
