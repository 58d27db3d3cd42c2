using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using DaskGateway.Configuration;

namespace DaskGateway.Backends.Kubernetes;

/// <summary>
/// Clusters on Kubernetes: the gateway keeps no database; each cluster is a DaskCluster resource
/// that the <c>kube-controller</c> turns into a credentials Secret, a scheduler pod, a Service and
/// worker pods. The gateway watches those resources, answers the API from them and routes each
/// running cluster through its own proxy.
/// </summary>
[ClassAlias("kubernetes")]
[ClassAlias("kube")]
[ClassAlias("dask_gateway_server.backends.kubernetes.KubeBackend")]
[GatewayBackendModule(typeof(Gateway.KubernetesBackendModule))]
public class KubeBackend : Backend
{
    /// <summary>The cluster config class: <see cref="KubeClusterConfig"/> or a subclass.</summary>
    [Description("The cluster config class used for new clusters.")]
    [ClassSetting(typeof(KubeClusterConfig))]
    public override Type ClusterConfigClass { get; set; } = typeof(KubeClusterConfig);

    /// <summary>Names this gateway's resources (label <c>gateway.dask.org/instance</c>) so that several gateways share a namespace.</summary>
    [Description("Name of this gateway's deployment, set as label gateway.dask.org/instance on every resource it creates (default: GATEWAY_INSTANCE from the environment).")]
    public string GatewayInstance { get; set; } = System.Environment.GetEnvironmentVariable("GATEWAY_INSTANCE") ?? "";

    /// <summary>The URL schedulers report to (set by the controller in their environment); kept for upstream's configs.</summary>
    [Description("URL schedulers use to reach the gateway's API, ending in /api (the controller passes its own KubeController.ApiUrl to pods; kept here for upstream's configs).")]
    public string ApiUrl { get; set; } = "";

    /// <summary>Labels added to every DaskCluster resource.</summary>
    [Description("Labels added to every DaskCluster resource.")]
    public IReadOnlyDictionary<string, string> CommonLabels { get; set; } = new Dictionary<string, string>();

    /// <summary>Annotations added to every DaskCluster resource.</summary>
    [Description("Annotations added to every DaskCluster resource.")]
    public IReadOnlyDictionary<string, string> CommonAnnotations { get; set; } = new Dictionary<string, string>();

    /// <summary>A kubeconfig file to reach the API server; empty for the pod's service account (or <c>KUBECONFIG</c>, <c>~/.kube/config</c> outside a cluster).</summary>
    [Description("kubeconfig file for the Kubernetes API server (default: the pod's service account in a cluster, else KUBECONFIG or ~/.kube/config).")]
    public string KubeconfigPath { get; set; } = "";

    /// <summary>Requests per second to the Kubernetes API server.</summary>
    [Description("Requests per second the gateway sends to the Kubernetes API server (token bucket).")]
    [Range(0.1, double.MaxValue)]
    public double K8sApiRateLimit { get; set; } = 50;

    /// <summary>Requests that may be sent at once above the rate.</summary>
    [Description("Burst size of the Kubernetes API rate limit.")]
    [Range(1, int.MaxValue)]
    public int K8sApiRateLimitBurst { get; set; } = 100;

    /// <summary>Where the gateway reaches a running cluster (namespace, Service name); tests point it at loopback.</summary>
    internal Func<string, string, KubeClusterAddresses> ClusterAddresses { get; set; } = KubeClusterAddresses.ForService;
}
