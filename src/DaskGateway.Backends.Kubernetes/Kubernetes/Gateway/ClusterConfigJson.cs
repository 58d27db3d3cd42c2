using System.Text.Json;
using System.Text.Json.Nodes;
using DaskGateway.Clusters;
using DaskGateway.Configuration;

namespace DaskGateway.Backends.Kubernetes;

/// <summary>
/// A cluster config as stored in a DaskCluster's <c>spec.config</c>: every setting under
/// upstream's snake_case name, memory as a byte count, so that upstream's resources and ours are
/// read by either.
/// </summary>
internal static class ClusterConfigJson
{
    public static JsonObject Write(ClusterConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var result = new JsonObject();
        foreach (var setting in SettingMap.For(config.GetType()).Settings)
        {
            if (!setting.CanRead || setting.Type == typeof(Type))
            {
                continue;
            }

            result[setting.SnakeName] = setting.Property.GetValue(config) switch
            {
                null => null,
                MemorySize size => JsonValue.Create(size.Bytes),
                var value => JsonSerializer.SerializeToNode(value, value.GetType()),
            };
        }

        return result;
    }
}
