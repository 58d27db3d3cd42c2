using DaskGateway.Proxy.Routing;

namespace DaskGateway.Proxy;

public sealed class ProxyAssemblyTests
{
    [Fact]
    public void Proxy_ReferencesTheExtensionSdkButNotCore()
    {
        var references = typeof(RouteTable).Assembly.GetReferencedAssemblies().Select(name => name.Name!).ToList();

        Assert.Contains("DaskGateway.Abstractions", references);
        Assert.DoesNotContain("DaskGateway.Core", references);
        Assert.DoesNotContain(references, name => name.StartsWith("DaskGateway", StringComparison.Ordinal) && name != "DaskGateway.Abstractions");
    }
}
