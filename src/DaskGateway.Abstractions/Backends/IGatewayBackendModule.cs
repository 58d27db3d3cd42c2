using Microsoft.Extensions.DependencyInjection;

namespace DaskGateway.Backends;

/// <summary>
/// Hosts one kind of backend in the gateway: checks its settings at startup and registers the
/// <see cref="Clusters.IClusterSource"/> that keeps its clusters. The gateway finds the module of
/// the configured backend class through <see cref="GatewayBackendModuleAttribute"/> on that class
/// or its nearest base class that has one; backends derived from <see cref="DBBackendBase"/>
/// inherit the gateway's database module and need none of their own.
/// </summary>
/// <remarks>
/// A module needs a public parameterless constructor. One instance serves one gateway start:
/// <see cref="Configure"/> runs first, then <see cref="AddServices"/>, so state prepared in the
/// first may be kept for the second.
/// </remarks>
public interface IGatewayBackendModule
{
    /// <summary>
    /// Checks the backend's settings and prepares what its services need, before anything listens.
    /// Problems go to <see cref="BackendModuleContext.AddError"/>; all of them are reported together.
    /// </summary>
    void Configure(BackendModuleContext context);

    /// <summary>Registers the services that keep the backend's clusters, among them exactly one <see cref="Clusters.IClusterSource"/>.</summary>
    /// <remarks>
    /// The host provides, for constructor injection: <see cref="TimeProvider"/> (use it for every
    /// time and delay, so tests can control the clock), logging (<c>ILogger&lt;T&gt;</c>,
    /// <see cref="Microsoft.Extensions.Logging.ILoggerFactory"/>), the configured
    /// <see cref="Backend"/> as that base type (register the concrete type yourself, for example
    /// <c>services.AddSingleton((MyBackend)context.Backend)</c>), the configured
    /// <see cref="Auth.Authenticator"/>, <see cref="Clusters.IRouteSink"/> (publishing running
    /// clusters on the public port) and <see cref="Clusters.IClusterCredentialIssuer"/> (each
    /// cluster's TLS credentials). The gateway's own API URL, which schedulers report to, is passed
    /// to <see cref="Clusters.IClusterSource.StartAsync"/>. Anything else the backend needs it
    /// registers here.
    /// </remarks>
    void AddServices(IServiceCollection services, BackendModuleContext context);
}

/// <summary>Names the <see cref="IGatewayBackendModule"/> that hosts a backend class and its subclasses (the nearest one wins).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true, AllowMultiple = false)]
public sealed class GatewayBackendModuleAttribute : Attribute
{
    /// <summary>Names the module by type.</summary>
    /// <param name="moduleType">A class implementing <see cref="IGatewayBackendModule"/> with a public parameterless constructor.</param>
    public GatewayBackendModuleAttribute(Type moduleType)
    {
        ArgumentNullException.ThrowIfNull(moduleType);
        ModuleTypeName = moduleType.AssemblyQualifiedName ?? moduleType.FullName ?? moduleType.Name;
        ModuleType = moduleType;
    }

    /// <summary>
    /// Names the module by assembly-qualified type name, for a module in an assembly the backend's
    /// own cannot reference (the gateway's database module for <see cref="DBBackendBase"/>).
    /// </summary>
    /// <param name="moduleTypeName">For example <c>"MyCompany.MyModule, MyCompany.Gateway"</c>.</param>
    public GatewayBackendModuleAttribute(string moduleTypeName)
    {
        ArgumentException.ThrowIfNullOrEmpty(moduleTypeName);
        ModuleTypeName = moduleTypeName;
    }

    /// <summary>The module class when named by type; null when named by <see cref="ModuleTypeName"/> only.</summary>
    public Type? ModuleType { get; }

    /// <summary>The module class's assembly-qualified name.</summary>
    public string ModuleTypeName { get; }
}
