using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace DaskGateway.Backends.Kubernetes;

/// <summary>
/// A DaskCluster resource (<c>gateway.dask.org/v1alpha1</c>, protocol.md §8.5): the same shape as
/// upstream's, so resources either gateway created are read by the other.
/// </summary>
internal sealed class DaskClusterResource : IKubernetesObject<V1ObjectMeta>, IMetadata<V1ObjectMeta>
{
    public const string Group = "gateway.dask.org";
    public const string Version = "v1alpha1";
    public const string Plural = "daskclusters";
    public const string KindName = "DaskCluster";
    public const string ApiVersionName = Group + "/" + Version;

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = ApiVersionName;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KindName;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public DaskClusterSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public DaskClusterStatus? Status { get; set; }
}

/// <summary>What the gateway asks for: the user, their options, the full cluster config, the worker count and whether it should run.</summary>
internal sealed class DaskClusterSpec
{
    [JsonPropertyName("username")]
    public string Username { get; set; } = "";

    /// <summary>The options the user chose, as shown to them.</summary>
    [JsonPropertyName("options")]
    public JsonObject Options { get; set; } = [];

    /// <summary>The cluster's <c>KubeClusterConfig</c>, keyed by upstream's snake_case names.</summary>
    [JsonPropertyName("config")]
    public JsonObject Config { get; set; } = [];

    /// <summary>Workers wanted; absent at creation (0).</summary>
    [JsonPropertyName("replicas")]
    public int? Replicas { get; set; }

    /// <summary>False once stop was requested; absent at creation (true).</summary>
    [JsonPropertyName("active")]
    public bool? Active { get; set; }
}

/// <summary>What the controller reports: the phase and the names of the objects it made.</summary>
internal sealed class DaskClusterStatus
{
    [JsonPropertyName("phase")]
    public string? Phase { get; set; }

    [JsonPropertyName("credentials")]
    public string? Credentials { get; set; }

    [JsonPropertyName("schedulerPod")]
    public string? SchedulerPod { get; set; }

    [JsonPropertyName("service")]
    public string? Service { get; set; }

    /// <summary>The scheduler pod's IP once it has one (ours): the host its heartbeats may report.</summary>
    [JsonPropertyName("schedulerPodIP")]
    public string? SchedulerPodIP { get; set; }

    [JsonPropertyName("completionTime")]
    public DateTime? CompletionTime { get; set; }

    /// <summary>The cluster's timeline (ours; upstream ignores unknown status fields), bounded.</summary>
    [JsonPropertyName("events")]
    public IList<DaskClusterEvent>? Events { get; set; }
}

/// <summary>One entry of a cluster's timeline kept in its status.</summary>
internal sealed class DaskClusterEvent
{
    /// <summary>Milliseconds since the epoch.</summary>
    [JsonPropertyName("time")]
    public long Time { get; set; }

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("message")]
    public string Message { get; set; } = "";
}

/// <summary>Names, labels and phases shared by the gateway and the controller (protocol.md §8.5).</summary>
internal static class DaskClusterNames
{
    public const string NameLabel = "app.kubernetes.io/name";
    public const string VersionLabel = "app.kubernetes.io/version";
    public const string ComponentLabel = "app.kubernetes.io/component";
    public const string InstanceLabel = "gateway.dask.org/instance";
    public const string ClusterLabel = "gateway.dask.org/cluster";
    public const string AppName = "dask-gateway";

    public const string SchedulerComponent = "dask-scheduler";
    public const string WorkerComponent = "dask-worker";
    public const string CredentialsComponent = "credentials";

    public const string PhasePending = "Pending";
    public const string PhaseRunning = "Running";
    public const string PhaseStopped = "Stopped";
    public const string PhaseFailed = "Failed";

    public const int SchedulerPort = 8786;
    public const int DashboardPort = 8787;
    public const int ApiPort = 8788;

    /// <summary>Events kept in a cluster's status; older ones beyond the first are dropped.</summary>
    public const int MaxStatusEvents = 50;

    public static string CredentialsSecret(string name) => $"dask-credentials-{name}";

    public static string SchedulerPod(string name) => $"dask-scheduler-{name}";

    public static string Service(string name) => $"dask-{name}";

    public static string WorkerPodPrefix(string name) => $"dask-worker-{name}-";

    /// <summary>The name users see: <c>&lt;namespace&gt;.&lt;resource name&gt;</c>.</summary>
    public static string ClusterName(string @namespace, string name) => $"{@namespace}.{name}";

    /// <summary>Splits a user-facing cluster name into namespace and resource name; false when it is not one.</summary>
    public static bool TrySplitClusterName(string clusterName, out string @namespace, out string name)
    {
        var dot = clusterName.IndexOf('.', StringComparison.Ordinal);
        @namespace = dot > 0 ? clusterName[..dot] : "";
        name = dot > 0 ? clusterName[(dot + 1)..] : "";
        return dot > 0 && name.Length > 0 && !name.Contains('.', StringComparison.Ordinal);
    }

    /// <summary>The label selector of one gateway's objects.</summary>
    public static string InstanceSelector(string instance) => $"{InstanceLabel}={instance}";
}
