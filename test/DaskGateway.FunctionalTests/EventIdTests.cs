using System.Reflection;
using System.Runtime.Loader;
using DaskGateway.Logging;

namespace DaskGateway.Tests;

/// <summary>Event ids name one event each, for good: operators filter and alert on them.</summary>
public sealed class EventIdTests
{
    private const BindingFlags AllMethods = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    [Fact]
    public void EveryLoggedEvent_HasItsOwnId()
    {
        var events = LoggedEvents();
        Assert.True(events.Count > 50, $"only {events.Count} [LoggerMessage] methods found: the assembly scan is broken");
        var reused = events.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Method))}").ToList();
        Assert.True(reused.Count == 0, "event ids used twice:\n" + string.Join("\n", reused));
    }

    [Fact]
    public void EveryLoggedEvent_TakesItsIdFromTheTable_AndTheTableHasNoStaleIds()
    {
        var table = typeof(GatewayEventIds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(field => field.IsLiteral)
            .ToDictionary(field => field.Name, field => (int)field.GetRawConstantValue()!);
        Assert.Equal(table.Count, table.Values.Distinct().Count());
        Assert.All(table.Values, id => Assert.InRange(id, 1000, 99_999));

        var events = LoggedEvents();
        var notInTable = events.Where(e => !table.ContainsValue(e.Id)).Select(e => $"{e.Id} ({e.Method})").ToList();
        Assert.True(notInTable.Count == 0, "ids missing from GatewayEventIds:\n" + string.Join("\n", notInTable));
        var used = events.Select(e => e.Id).ToHashSet();
        var stale = table.Where(entry => !used.Contains(entry.Value)).Select(entry => $"{entry.Key} = {entry.Value}").ToList();
        Assert.True(stale.Count == 0, "ids in GatewayEventIds that nothing logs:\n" + string.Join("\n", stale));
    }

    private static List<(int Id, string Method)> LoggedEvents()
    {
        var events = new List<(int Id, string Method)>();
        foreach (var assembly in GatewayAssemblies())
        {
            foreach (var type in assembly.GetTypes())
            {
                foreach (var method in type.GetMethods(AllMethods))
                {
                    if (method.GetCustomAttribute<Microsoft.Extensions.Logging.LoggerMessageAttribute>() is { } attribute)
                    {
                        events.Add((attribute.EventId, $"{type.FullName}.{method.Name}"));
                    }
                }
            }
        }

        return events;
    }

    /// <summary>The gateway's own assemblies beside the tests (not tests, test helpers or samples).</summary>
    private static List<Assembly> GatewayAssemblies()
    {
        var files = Directory.GetFiles(AppContext.BaseDirectory, "DaskGateway.*.dll")
            .Append(Path.Combine(AppContext.BaseDirectory, "dask-gateway-server.dll"))
            .Where(path => !Path.GetFileName(path).Contains("Test", StringComparison.Ordinal)
                && !Path.GetFileName(path).Contains("Samples", StringComparison.Ordinal)
                && !Path.GetFileName(path).Contains(".Fake", StringComparison.Ordinal)
                && !Path.GetFileName(path).Contains("Benchmarks", StringComparison.Ordinal));
        var assemblies = files.Select(path => AssemblyLoadContext.Default.LoadFromAssemblyName(AssemblyName.GetAssemblyName(path))).ToList();
        Assert.Contains(assemblies, a => a.GetName().Name == "DaskGateway.Backends.Kubernetes");
        Assert.Contains(assemblies, a => a.GetName().Name == "dask-gateway-server");
        return assemblies;
    }
}
