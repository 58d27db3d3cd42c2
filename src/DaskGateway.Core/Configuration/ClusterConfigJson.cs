using System.Text.Json;
using System.Text.Json.Nodes;
using DaskGateway.Clusters;
using DaskGateway.Json;

namespace DaskGateway.Configuration;

/// <summary>
/// The one stored form of a cluster config, used by the database (each cluster's record), the
/// Kubernetes gateway (a DaskCluster's <c>spec.config</c>) and the controller that reads it: every
/// readable setting under upstream's snake_case name, memory as a byte count, classes by full name,
/// so that upstream's resources and ours are read by either. Reading accepts PascalCase names too
/// (records written before this form) and reports unknown keys instead of refusing them.
/// </summary>
internal static class ClusterConfigJson
{
    public static JsonObject Write(ClusterConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var result = new JsonObject();
        foreach (var setting in SettingMap.For(config.GetType()).Settings.Where(setting => setting.CanRead))
        {
            result[setting.SnakeName] = setting.Property.GetValue(config) switch
            {
                null => null,
                MemorySize size => JsonValue.Create(size.Bytes),
                Type type => JsonValue.Create(type.FullName),
                var value => JsonSerializer.SerializeToNode(value, value.GetType()),
            };
        }

        return result;
    }

    /// <summary>The stored form's settings, as the binder's overrides take them.</summary>
    public static IReadOnlyDictionary<string, object?> Read(JsonObject stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return JsonValues.ToDictionary(stored);
    }

    /// <summary>The stored form's settings from its JSON text (a database column).</summary>
    public static IReadOnlyDictionary<string, object?> Read(string stored)
    {
        using var document = JsonDocument.Parse(stored);
        return JsonValues.ToDictionary(document.RootElement);
    }
}
