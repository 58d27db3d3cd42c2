namespace DaskGateway.Configuration;

/// <summary>
/// Marks a <see cref="Type"/>-valued setting, such as <c>DaskGateway.AuthenticatorClass</c>; the
/// configured class must derive from <see cref="BaseType"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ClassSettingAttribute(Type baseType) : Attribute
{
    /// <summary>The type every accepted class derives from.</summary>
    public Type BaseType { get; } = baseType;
}
