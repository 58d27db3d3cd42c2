namespace DaskGateway.Configuration;

/// <summary>
/// Marks a list-of-strings setting as a command line, such as <c>ClusterConfig.WorkerCmd</c>. Every
/// list-of-strings setting accepts a single string as a one-element list (as upstream's
/// <c>Command</c> trait does); this attribute only makes messages and <c>--help</c> call it a command.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class CommandSettingAttribute : Attribute
{
}
