using k8s;

namespace DaskGateway.Backends.Kubernetes;

/// <summary>
/// Creates the Kubernetes API client of the gateway and the controller: configured from a
/// kubeconfig file, the pod's service account or <c>KUBECONFIG</c> / <c>~/.kube/config</c>, with
/// every request passing a token-bucket rate limit.
/// </summary>
internal static class KubeClientFactory
{
    /// <summary>
    /// Where the API server is and how to authenticate: <paramref name="kubeconfigPath"/> when
    /// given, else the service account when running in a pod, else <c>KUBECONFIG</c> or
    /// <c>~/.kube/config</c>.
    /// </summary>
    public static KubernetesClientConfiguration LoadConfiguration(string? kubeconfigPath)
    {
        if (!string.IsNullOrWhiteSpace(kubeconfigPath))
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath);
        }

        return KubernetesClientConfiguration.IsInCluster()
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildDefaultConfig();
    }

    /// <summary>A client for the API server found by <see cref="LoadConfiguration"/>.</summary>
    public static IKubernetes Create(string? kubeconfigPath, double requestsPerSecond, int burst) =>
        Create(LoadConfiguration(kubeconfigPath), requestsPerSecond, burst);

    /// <summary>A client for <paramref name="configuration"/> whose requests are limited to <paramref name="requestsPerSecond"/> (bursts of <paramref name="burst"/>).</summary>
    public static IKubernetes Create(KubernetesClientConfiguration configuration, double requestsPerSecond, int burst)
    {
        ArgumentNullException.ThrowIfNull(configuration);
#pragma warning disable CA2000 // The client owns and disposes its handlers.
        return new k8s.Kubernetes(configuration, new KubeApiRateLimitingHandler(requestsPerSecond, burst));
#pragma warning restore CA2000
    }
}
