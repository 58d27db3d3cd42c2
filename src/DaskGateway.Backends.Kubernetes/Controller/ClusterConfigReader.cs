using System.Text.Json.Nodes;
using DaskGateway.Configuration;

namespace DaskGateway.Backends.Kubernetes.Controller;

/// <summary>
/// Reads a DaskCluster's <c>spec.config</c> (upstream writes <c>KubeClusterConfig</c>'s settings
/// under their snake_case names; PascalCase works too) into a <see cref="KubeClusterConfig"/>.
/// Unknown keys are reported, not refused, so resources written by other versions are read.
/// </summary>
internal sealed class ClusterConfigReader
{
    private readonly SettingsBinder _binder;

    public ClusterConfigReader()
    {
        var types = new ConfigurableTypes();
        types.Register(typeof(KubeClusterConfig));
        _binder = new SettingsBinder(new GatewayConfig(), types);
    }

    /// <summary>The config, or the problems that make it unusable; <paramref name="unknownKeys"/> lists what was ignored.</summary>
    public KubeClusterConfig? TryRead(JsonObject config, out IReadOnlyList<string> problems, out IReadOnlyList<string> unknownKeys)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = new ConfigErrors();
        var result = new KubeClusterConfig();
        var values = ClusterConfigJson.Read(config);
        unknownKeys = _binder.ApplyOverrides(result, values, errors);
        problems = [.. errors.Errors.Select(error => error.Message), .. result.Validate()];
        return problems.Count == 0 ? result : null;
    }
}
