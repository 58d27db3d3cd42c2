namespace DaskGateway.Configuration;

/// <summary>
/// Short names by which a class-valued setting can name this class, such as <c>"simple"</c> or
/// upstream's Python path <c>"dask_gateway_server.auth.SimpleAuthenticator"</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ClassAliasAttribute(string alias) : Attribute
{
    /// <summary>The alternative name.</summary>
    public string Alias { get; } = alias;
}
