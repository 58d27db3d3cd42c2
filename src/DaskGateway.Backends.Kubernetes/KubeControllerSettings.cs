using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using DaskGateway.Configuration;

namespace DaskGateway.Backends.Kubernetes;

/// <summary>
/// Settings of <c>dask-gateway-server kube-controller</c> (section <c>KubeController</c>), which
/// reconciles DaskCluster resources into Secrets, pods and Services.
/// </summary>
[ConfigSection("KubeController")]
[ClassAlias("dask_gateway_server.backends.kubernetes.controller.KubeController")]
public sealed class KubeControllerSettings
{
    /// <summary>Where the controller listens for health checks.</summary>
    [Description("Address the controller listens on for health checks (GET /api/health).")]
    public string Address { get; set; } = ":8000";

    /// <summary>The URL schedulers report to, given to scheduler pods as DASK_GATEWAY_API_URL.</summary>
    [Description("URL schedulers use to reach the gateway's API, ending in /api (the chart: http://api-<fullname>.<namespace>:8001/api).")]
    public string ApiUrl { get; set; } = "";

    /// <summary>Which gateway's DaskClusters this controller reconciles.</summary>
    [Description("The gateway instance whose DaskCluster resources this controller reconciles (default: GATEWAY_INSTANCE from the environment).")]
    public string GatewayInstance { get; set; } = System.Environment.GetEnvironmentVariable("GATEWAY_INSTANCE") ?? "";

    /// <summary>The log level.</summary>
    [Description("Log level: DEBUG, INFO, WARN or ERROR.")]
    public string LogLevel { get; set; } = "INFO";

    /// <summary>Seconds a stopped or failed cluster's resource is kept.</summary>
    [Description("Seconds a stopped or failed DaskCluster is kept before it is deleted.")]
    [Range(0, double.MaxValue)]
    public double CompletedClusterMaxAge { get; set; } = 86400;

    /// <summary>Seconds between deletions of completed clusters.</summary>
    [Description("Seconds between deletions of old completed DaskClusters.")]
    [Range(0.01, double.MaxValue)]
    public double CompletedClusterCleanupPeriod { get; set; } = 600;

    /// <summary>First delay, in seconds, before a failed reconciliation is retried.</summary>
    [Description("Seconds before a failed reconciliation is retried (doubling each time).")]
    [Range(0.001, double.MaxValue)]
    public double BackoffBaseDelay { get; set; } = 0.1;

    /// <summary>Longest delay, in seconds, between retries.</summary>
    [Description("Longest delay between retries of a failed reconciliation, in seconds.")]
    [Range(0.001, double.MaxValue)]
    public double BackoffMaxDelay { get; set; } = 300;

    /// <summary>Requests per second to the Kubernetes API server.</summary>
    [Description("Requests per second the controller sends to the Kubernetes API server (token bucket).")]
    [Range(0.1, double.MaxValue)]
    public double K8sApiRateLimit { get; set; } = 50;

    /// <summary>Requests that may be sent at once above the rate.</summary>
    [Description("Burst size of the Kubernetes API rate limit.")]
    [Range(1, int.MaxValue)]
    public int K8sApiRateLimitBurst { get; set; } = 100;

    /// <summary>How many clusters are reconciled at once.</summary>
    [Description("How many clusters are reconciled at once.")]
    [Range(1, 1000)]
    public int Parallelism { get; set; } = 20;

    /// <summary>Labels added to every object the controller creates.</summary>
    [Description("Labels added to every Secret, pod and Service the controller creates.")]
    public IReadOnlyDictionary<string, string> CommonLabels { get; set; } = new Dictionary<string, string>();

    /// <summary>Annotations added to every object the controller creates.</summary>
    [Description("Annotations added to every Secret, pod and Service the controller creates.")]
    public IReadOnlyDictionary<string, string> CommonAnnotations { get; set; } = new Dictionary<string, string>();

    /// <summary>A kubeconfig file; empty for the pod's service account.</summary>
    [Description("kubeconfig file for the Kubernetes API server (default: the pod's service account in a cluster, else KUBECONFIG or ~/.kube/config).")]
    public string KubeconfigPath { get; set; } = "";

    /// <summary>Seconds a leader's Lease lasts without renewal.</summary>
    [Description("Seconds the controller's leader Lease lasts without renewal; another controller takes over after it expires.")]
    [Range(1, double.MaxValue)]
    public double LeaseDuration { get; set; } = 15;

    /// <summary>Seconds within which the leader must renew its Lease, or stop acting.</summary>
    [Description("Seconds within which the leader must renew its Lease, else it stops acting.")]
    [Range(0.5, double.MaxValue)]
    public double LeaseRenewDeadline { get; set; } = 10;

    /// <summary>Seconds between attempts to acquire or renew the Lease.</summary>
    [Description("Seconds between attempts to acquire or renew the leader Lease.")]
    [Range(0.1, double.MaxValue)]
    public double LeaseRetryPeriod { get; set; } = 2;

    /// <summary>The namespace of the Lease; empty for the controller pod's namespace.</summary>
    [Description("Namespace of the leader Lease (default: the controller pod's namespace, else 'default').")]
    public string LeaseNamespace { get; set; } = "";
}
