namespace DaskGateway.Kubernetes.Gateway;

/// <summary>The backends the scenario runs on, by the name its theory cases carry.</summary>
internal static class ScenarioBackends
{
    public const string Database = "database";
    public const string Kubernetes = "kubernetes";

    public static async Task<IScenarioBackend> StartAsync(string backend, params (string Setting, object? Value)[] settings) => backend switch
    {
        Database => await DatabaseScenarioBackend.StartAsync(settings),
        Kubernetes => await KubeScenarioBackend.StartAsync(settings),
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, "no such scenario backend"),
    };
}
