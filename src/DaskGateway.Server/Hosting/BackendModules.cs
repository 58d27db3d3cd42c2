using System.Reflection;
using DaskGateway.Backends;

namespace DaskGateway.Hosting;

/// <summary>Finds the module that hosts a backend: the <see cref="GatewayBackendModuleAttribute"/> nearest to its class.</summary>
internal static class BackendModules
{
    /// <summary>A new instance of the backend's module, or null with the reason it has none that can be used.</summary>
    public static IGatewayBackendModule? Create(Backend backend, out string problem)
    {
        var backendType = backend.GetType();
        var attribute = backendType.GetCustomAttribute<GatewayBackendModuleAttribute>(inherit: true);
        if (attribute is null)
        {
            problem = $"{backendType.FullName} cannot be hosted: mark it with [{nameof(GatewayBackendModuleAttribute).Replace("Attribute", "", StringComparison.Ordinal)}(typeof(YourModule))], "
                + $"naming an {nameof(IGatewayBackendModule)} that registers its IClusterSource, or derive it from {nameof(DBBackendBase)}";
            return null;
        }

        var moduleType = attribute.ModuleType ?? Type.GetType(attribute.ModuleTypeName, throwOnError: false);
        if (moduleType is null || !typeof(IGatewayBackendModule).IsAssignableFrom(moduleType) || moduleType.IsAbstract
            || moduleType.GetConstructor(Type.EmptyTypes) is null)
        {
            problem = $"{backendType.FullName} names the backend module {attribute.ModuleTypeName}, which is not a class implementing {nameof(IGatewayBackendModule)} with a public parameterless constructor";
            return null;
        }

        problem = "";
        return (IGatewayBackendModule)Activator.CreateInstance(moduleType)!;
    }
}
