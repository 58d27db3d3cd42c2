using System.Reflection;
using System.Runtime.CompilerServices;
using DaskGateway.Auth;

namespace DaskGateway.Tests.Assemblies;

/// <summary>What the extension SDK lets other assemblies see.</summary>
public sealed class AssemblyBoundaryTests
{
    [Fact]
    public void Abstractions_GrantsItsInternalsToTestAssembliesOnly()
    {
        var granted = typeof(Authenticator).Assembly.GetCustomAttributes<InternalsVisibleToAttribute>()
            .Select(attribute => attribute.AssemblyName)
            .ToList();

        Assert.NotEmpty(granted);
        Assert.All(granted, name => Assert.True(
            name.EndsWith("Tests", StringComparison.Ordinal) || name == "DaskGateway.Testing",
            $"The extension SDK grants its internals to {name}, which is not a test assembly: make what it needs public API or share it through src/Shared"));
        Assert.DoesNotContain(typeof(SimpleAuthenticator).Assembly.GetName().Name, granted);
        Assert.DoesNotContain(typeof(DaskGateway.Configuration.GatewayConfig).Assembly.GetName().Name, granted);
    }

    [Fact]
    public void Abstractions_ReferencesNoOtherGatewayAssembly()
    {
        var references = typeof(Authenticator).Assembly.GetReferencedAssemblies().Select(name => name.Name!);

        Assert.DoesNotContain(references, name => name.StartsWith("DaskGateway", StringComparison.Ordinal) || name == "dask-gateway-server");
    }
}
