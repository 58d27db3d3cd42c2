using System.ComponentModel;
using DaskGateway.Clusters;
using DaskGateway.Configuration;

namespace DaskGateway.Backends.Kubernetes;

/// <summary>
/// The cluster settings of the Kubernetes backend: those of <see cref="ClusterConfig"/> plus the
/// pods' image, namespace, resource limits, labels and extra pod and container configuration.
/// The gateway stores the whole config in each DaskCluster resource; the controller builds the
/// cluster's pods from it.
/// </summary>
[ClassAlias("dask_gateway_server.backends.kubernetes.KubeClusterConfig")]
public class KubeClusterConfig : ClusterConfig
{
    private const string ServiceAccountNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

    /// <summary>The namespace of the cluster's resources and pods.</summary>
    [Description("Namespace of the clusters' resources and pods (default: the gateway pod's namespace, else 'default').")]
    public string Namespace { get; set; } = DefaultNamespace();

    /// <summary>The image of scheduler and worker pods.</summary>
    [Description("Image of scheduler and worker pods; it must provide dask-scheduler, dask-worker and the preload module dask_gateway.scheduler_preload.")]
    public string Image { get; set; } = "ghcr.io/dask/dask-gateway:latest";

    /// <summary>The pods' image pull policy; null leaves Kubernetes' default.</summary>
    [Description("Image pull policy of scheduler and worker pods: IfNotPresent, Always or Never (default: Kubernetes' default).")]
    public string? ImagePullPolicy { get; set; }

    /// <summary>Names of the Secrets used to pull the image.</summary>
    [Description("Names of image pull Secrets of scheduler and worker pods.")]
    public IReadOnlyList<string> ImagePullSecrets { get; set; } = [];

    /// <summary>The scheduler container's cpu limit; null means the request (<c>SchedulerCores</c>).</summary>
    [Description("Cpu limit of the scheduler container (default: SchedulerCores).")]
    public double? SchedulerCoresLimit { get; set; }

    /// <summary>The scheduler container's memory limit; null means the request (<c>SchedulerMemory</c>).</summary>
    [Description("Memory limit of the scheduler container (default: SchedulerMemory).")]
    public MemorySize? SchedulerMemoryLimit { get; set; }

    /// <summary>Each worker container's cpu limit; null means the request (<c>WorkerCores</c>).</summary>
    [Description("Cpu limit of each worker container (default: WorkerCores).")]
    public double? WorkerCoresLimit { get; set; }

    /// <summary>Each worker container's memory limit; null means the request (<c>WorkerMemory</c>).</summary>
    [Description("Memory limit of each worker container (default: WorkerMemory); also the worker's --memory-limit.")]
    public MemorySize? WorkerMemoryLimit { get; set; }

    /// <summary>Deep-merged into the scheduler container (objects merge, lists are appended, other values replaced).</summary>
    [Description("Extra configuration deep-merged into the scheduler container: objects merge, lists are appended, other values replaced.")]
    public IReadOnlyDictionary<string, object?> SchedulerExtraContainerConfig { get; set; } = new Dictionary<string, object?>();

    /// <summary>Deep-merged into the scheduler pod's spec.</summary>
    [Description("Extra configuration deep-merged into the scheduler pod's spec (same rules).")]
    public IReadOnlyDictionary<string, object?> SchedulerExtraPodConfig { get; set; } = new Dictionary<string, object?>();

    /// <summary>Deep-merged into each worker container.</summary>
    [Description("Extra configuration deep-merged into each worker container (same rules).")]
    public IReadOnlyDictionary<string, object?> WorkerExtraContainerConfig { get; set; } = new Dictionary<string, object?>();

    /// <summary>Deep-merged into each worker pod's spec.</summary>
    [Description("Extra configuration deep-merged into each worker pod's spec (same rules).")]
    public IReadOnlyDictionary<string, object?> WorkerExtraPodConfig { get; set; } = new Dictionary<string, object?>();

    /// <summary>Labels added to the scheduler pod.</summary>
    [Description("Extra labels of the scheduler pod.")]
    public IReadOnlyDictionary<string, string> SchedulerExtraPodLabels { get; set; } = new Dictionary<string, string>();

    /// <summary>Labels added to each worker pod.</summary>
    [Description("Extra labels of each worker pod.")]
    public IReadOnlyDictionary<string, string> WorkerExtraPodLabels { get; set; } = new Dictionary<string, string>();

    /// <summary>Annotations added to the scheduler pod.</summary>
    [Description("Extra annotations of the scheduler pod.")]
    public IReadOnlyDictionary<string, string> SchedulerExtraPodAnnotations { get; set; } = new Dictionary<string, string>();

    /// <summary>Annotations added to each worker pod.</summary>
    [Description("Extra annotations of each worker pod.")]
    public IReadOnlyDictionary<string, string> WorkerExtraPodAnnotations { get; set; } = new Dictionary<string, string>();

    /// <inheritdoc/>
    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate())
        {
            yield return problem;
        }

        if (ImagePullPolicy is { Length: > 0 } policy && policy is not ("IfNotPresent" or "Always" or "Never"))
        {
            yield return $"image_pull_policy must be IfNotPresent, Always or Never, got '{policy}'";
        }

        if (string.IsNullOrWhiteSpace(Image))
        {
            yield return "image must not be empty";
        }

        if (string.IsNullOrWhiteSpace(Namespace))
        {
            yield return "namespace must not be empty";
        }

        foreach (var (name, limit, request) in new[]
        {
            ("scheduler_cores_limit", SchedulerCoresLimit, SchedulerCores),
            ("worker_cores_limit", WorkerCoresLimit, WorkerCores),
        })
        {
            if (limit is { } value && value < request)
            {
                yield return $"{name} ({value}) must not be below the request ({request})";
            }
        }

        foreach (var (name, limit, request) in new[]
        {
            ("scheduler_memory_limit", SchedulerMemoryLimit, SchedulerMemory),
            ("worker_memory_limit", WorkerMemoryLimit, WorkerMemory),
        })
        {
            if (limit is { } value && value.Bytes < request.Bytes)
            {
                yield return $"{name} ({value.Bytes}) must not be below the request ({request.Bytes})";
            }
        }
    }

    /// <summary>The scheduler's cpu limit in force.</summary>
    public double EffectiveSchedulerCoresLimit => SchedulerCoresLimit ?? SchedulerCores;

    /// <summary>The scheduler's memory limit in force.</summary>
    public MemorySize EffectiveSchedulerMemoryLimit => SchedulerMemoryLimit ?? SchedulerMemory;

    /// <summary>Each worker's cpu limit in force.</summary>
    public double EffectiveWorkerCoresLimit => WorkerCoresLimit ?? WorkerCores;

    /// <summary>Each worker's memory limit in force.</summary>
    public MemorySize EffectiveWorkerMemoryLimit => WorkerMemoryLimit ?? WorkerMemory;

    private static string DefaultNamespace()
    {
        try
        {
            return File.Exists(ServiceAccountNamespaceFile) ? File.ReadAllText(ServiceAccountNamespaceFile).Trim() : "default";
        }
        catch (IOException)
        {
            return "default";
        }
        catch (UnauthorizedAccessException)
        {
            return "default";
        }
    }
}
