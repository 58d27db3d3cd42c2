using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaskGateway.Clusters;
using k8s;
using k8s.Models;

namespace DaskGateway.Backends.Kubernetes.Controller;

/// <summary>
/// The objects the controller makes for a cluster (protocol.md §8.5, §3.2, §3.3, §3.7): the
/// credentials Secret, the scheduler pod, worker pods and the scheduler's headless Service.
/// </summary>
internal sealed class ClusterManifests
{
    public const string CredentialsVolume = "dask-credentials";
    public const string CredentialsDirectory = "/etc/dask-credentials/";
    public const string CertificateKey = "dask.crt";
    public const string PrivateKeyKey = "dask.pem";
    public const string ApiTokenKey = "api-token";
    public const string DefaultPreload = "dask_gateway.scheduler_preload";

    private readonly string _apiUrl;
    private readonly string _instance;
    private readonly IReadOnlyDictionary<string, string> _commonLabels;
    private readonly IReadOnlyDictionary<string, string> _commonAnnotations;

    public ClusterManifests(KubeControllerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _apiUrl = settings.ApiUrl;
        _instance = settings.GatewayInstance;
        _commonLabels = settings.CommonLabels;
        _commonAnnotations = settings.CommonAnnotations;
    }

    public V1Secret Secret(DaskClusterResource cluster, ClusterCredentials credentials, string apiToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(credentials);
        var name = cluster.Metadata.Name;
        return new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = Metadata(DaskClusterNames.CredentialsSecret(name), name, DaskClusterNames.CredentialsComponent, cluster.Metadata.NamespaceProperty, ClusterOwner(cluster)),
            Data = new Dictionary<string, byte[]>
            {
                [CertificateKey] = Encoding.UTF8.GetBytes(credentials.CertificatePem),
                [PrivateKeyKey] = Encoding.UTF8.GetBytes(credentials.PrivateKeyPem),
                [ApiTokenKey] = Encoding.UTF8.GetBytes(apiToken),
            },
        };
    }

    public V1Pod SchedulerPod(DaskClusterResource cluster, KubeClusterConfig config)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(config);
        var name = cluster.Metadata.Name;
        var @namespace = cluster.Metadata.NamespaceProperty;
        string[] args =
        [
            .. config.SchedulerCmd,
            "--protocol", "tls",
            "--host", "",
            "--port", Number(DaskClusterNames.SchedulerPort),
            "--dashboard-address", $":{Number(DaskClusterNames.DashboardPort)}",
            "--dg-api-address", $":{Number(DaskClusterNames.ApiPort)}",
            "--preload", config.SchedulerPreload.Length > 0 ? config.SchedulerPreload : DefaultPreload,
            "--dg-heartbeat-period", "0",
            "--dg-adaptive-period", PythonFormat.Float(config.AdaptivePeriod),
            "--dg-idle-timeout", PythonFormat.Float(config.IdleTimeout),
        ];
        var container = new V1Container
        {
            Name = DaskClusterNames.SchedulerComponent,
            Image = config.Image,
            Args = args,
            Env = Environment(@namespace, name, config, worker: false),
            ImagePullPolicy = EmptyAsNull(config.ImagePullPolicy),
            Resources = Resources(config.SchedulerCores, config.SchedulerMemory.Bytes, config.EffectiveSchedulerCoresLimit, config.EffectiveSchedulerMemoryLimit.Bytes),
            VolumeMounts = [new V1VolumeMount { Name = CredentialsVolume, MountPath = CredentialsDirectory, ReadOnlyProperty = true }],
            Ports =
            [
                new V1ContainerPort { Name = "scheduler", ContainerPort = DaskClusterNames.SchedulerPort },
                new V1ContainerPort { Name = "dashboard", ContainerPort = DaskClusterNames.DashboardPort },
                new V1ContainerPort { Name = "api", ContainerPort = DaskClusterNames.ApiPort },
            ],
            ReadinessProbe = new V1Probe
            {
                HttpGet = new V1HTTPGetAction { Port = DaskClusterNames.ApiPort, Path = "/api/health" },
                PeriodSeconds = 5,
                FailureThreshold = 3,
            },
        };
        var metadata = Metadata(DaskClusterNames.SchedulerPod(name), name, DaskClusterNames.SchedulerComponent, @namespace, ClusterOwner(cluster));
        return Pod(metadata, config.SchedulerExtraPodLabels, config.SchedulerExtraPodAnnotations, container, config, "Never",
            config.SchedulerExtraContainerConfig, config.SchedulerExtraPodConfig);
    }

    /// <summary>A new worker pod (named by the API server from its generateName), owned by the scheduler pod.</summary>
    public V1Pod WorkerPod(DaskClusterResource cluster, KubeClusterConfig config, V1Pod schedulerPod)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(schedulerPod);
        var name = cluster.Metadata.Name;
        var @namespace = cluster.Metadata.NamespaceProperty;
        string[] args =
        [
            .. config.WorkerCmd,
            KubeClusterAddresses.ForService(@namespace, DaskClusterNames.Service(name)).Scheduler,
            "--dashboard-address", $":{Number(DaskClusterNames.DashboardPort)}",
            "--name", "$(DASK_GATEWAY_WORKER_NAME)",
            "--nthreads", Number(config.EffectiveWorkerThreads),
            "--memory-limit", config.EffectiveWorkerMemoryLimit.Bytes.ToString(CultureInfo.InvariantCulture),
        ];
        var container = new V1Container
        {
            Name = DaskClusterNames.WorkerComponent,
            Image = config.Image,
            Args = args,
            Env = Environment(@namespace, name, config, worker: true),
            ImagePullPolicy = EmptyAsNull(config.ImagePullPolicy),
            Resources = Resources(config.WorkerCores, config.WorkerMemory.Bytes, config.EffectiveWorkerCoresLimit, config.EffectiveWorkerMemoryLimit.Bytes),
            VolumeMounts = [new V1VolumeMount { Name = CredentialsVolume, MountPath = CredentialsDirectory, ReadOnlyProperty = true }],
            Ports = [new V1ContainerPort { Name = "dashboard", ContainerPort = DaskClusterNames.DashboardPort }],
        };
        var metadata = Metadata(null, name, DaskClusterNames.WorkerComponent, @namespace, PodOwner(schedulerPod));
        metadata.GenerateName = DaskClusterNames.WorkerPodPrefix(name);
        return Pod(metadata, config.WorkerExtraPodLabels, config.WorkerExtraPodAnnotations, container, config, "OnFailure",
            config.WorkerExtraContainerConfig, config.WorkerExtraPodConfig);
    }

    /// <summary>The scheduler's headless Service, owned by the scheduler pod so that it goes with it.</summary>
    public V1Service Service(DaskClusterResource cluster, V1Pod schedulerPod)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(schedulerPod);
        var name = cluster.Metadata.Name;
        return new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = Metadata(DaskClusterNames.Service(name), name, DaskClusterNames.SchedulerComponent, cluster.Metadata.NamespaceProperty, PodOwner(schedulerPod)),
            Spec = new V1ServiceSpec
            {
                ClusterIP = "None",
                Selector = new Dictionary<string, string>
                {
                    [DaskClusterNames.ClusterLabel] = name,
                    [DaskClusterNames.InstanceLabel] = _instance,
                    [DaskClusterNames.ComponentLabel] = DaskClusterNames.SchedulerComponent,
                },
                Ports =
                [
                    ServicePort("scheduler", DaskClusterNames.SchedulerPort),
                    ServicePort("dashboard", DaskClusterNames.DashboardPort),
                    ServicePort("api", DaskClusterNames.ApiPort),
                ],
            },
        };
    }

    /// <summary>The labels every object of the cluster carries, and the selector of its pods.</summary>
    public Dictionary<string, string> Labels(string clusterName, string component)
    {
        var labels = new Dictionary<string, string>(_commonLabels, StringComparer.Ordinal)
        {
            [DaskClusterNames.InstanceLabel] = _instance,
            [DaskClusterNames.ClusterLabel] = clusterName,
            [DaskClusterNames.ComponentLabel] = component,
        };
        return labels;
    }

    private static V1ServicePort ServicePort(string name, int port) =>
        new() { Name = name, Port = port, TargetPort = name, Protocol = "TCP" };

    private static V1EnvVar Variable(string name, string value) => new() { Name = name, Value = value };

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string? EmptyAsNull(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static V1ResourceRequirements Resources(double cores, long memory, double coresLimit, long memoryLimit) => new()
    {
        Requests = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(cores.ToString("F3", CultureInfo.InvariantCulture)),
            ["memory"] = new(memory.ToString(CultureInfo.InvariantCulture)),
        },
        Limits = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(coresLimit.ToString("F3", CultureInfo.InvariantCulture)),
            ["memory"] = new(memoryLimit.ToString(CultureInfo.InvariantCulture)),
        },
    };

    private static V1OwnerReference ClusterOwner(DaskClusterResource cluster) => new()
    {
        ApiVersion = DaskClusterResource.ApiVersionName,
        Kind = DaskClusterResource.KindName,
        Name = cluster.Metadata.Name,
        Uid = cluster.Metadata.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    private static V1OwnerReference PodOwner(V1Pod pod) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Name = pod.Metadata.Name,
        Uid = pod.Metadata.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    private static JsonNode? ToNode(object value) => JsonNode.Parse(KubernetesJson.Serialize(value));

    private static JsonNode? ToNode(IReadOnlyDictionary<string, object?> extra) => JsonSerializer.SerializeToNode(extra);

    // Environment of §3.3, Kubernetes form: the config's variables first, then the gateway's.
    private List<V1EnvVar> Environment(string @namespace, string name, KubeClusterConfig config, bool worker)
    {
        var variables = config.Environment.Select(entry => Variable(entry.Key, entry.Value)).ToList();
        var certificate = CredentialsDirectory + CertificateKey;
        var key = CredentialsDirectory + PrivateKeyKey;
        variables.AddRange(
        [
            Variable("DASK_GATEWAY_API_URL", _apiUrl),
            Variable("DASK_GATEWAY_API_TOKEN", CredentialsDirectory + ApiTokenKey),
            Variable("DASK_GATEWAY_CLUSTER_NAME", DaskClusterNames.ClusterName(@namespace, name)),
            Variable("DASK_DISTRIBUTED__COMM__TLS__CA_FILE", certificate),
            Variable("DASK_DISTRIBUTED__COMM__TLS__SCHEDULER__KEY", key),
            Variable("DASK_DISTRIBUTED__COMM__TLS__SCHEDULER__CERT", certificate),
            Variable("DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY", key),
            Variable("DASK_DISTRIBUTED__COMM__TLS__WORKER__CERT", certificate),
        ]);
        if (worker)
        {
            variables.Add(new V1EnvVar
            {
                Name = "DASK_GATEWAY_WORKER_NAME",
                ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } },
            });
        }

        return variables;
    }

    private V1ObjectMeta Metadata(string? objectName, string clusterName, string component, string @namespace, V1OwnerReference owner) => new()
    {
        Name = objectName,
        NamespaceProperty = @namespace,
        Labels = Labels(clusterName, component),
        Annotations = new Dictionary<string, string>(_commonAnnotations, StringComparer.Ordinal),
        OwnerReferences = [owner],
    };

    private static V1Pod Pod(
        V1ObjectMeta metadata,
        IReadOnlyDictionary<string, string> extraLabels,
        IReadOnlyDictionary<string, string> extraAnnotations,
        V1Container container,
        KubeClusterConfig config,
        string restartPolicy,
        IReadOnlyDictionary<string, object?> extraContainerConfig,
        IReadOnlyDictionary<string, object?> extraPodConfig)
    {
        foreach (var (key, value) in extraLabels)
        {
            metadata.Labels[key] = value;
        }

        foreach (var (key, value) in extraAnnotations)
        {
            metadata.Annotations[key] = value;
        }

        if (extraContainerConfig.Count > 0)
        {
            container = KubernetesJson.Deserialize<V1Container>(JsonDeepMerge.Merge(ToNode(container), ToNode(extraContainerConfig))!.ToJsonString());
        }

        var spec = new V1PodSpec
        {
            Containers = [container],
            Volumes = [new V1Volume { Name = CredentialsVolume, Secret = new V1SecretVolumeSource { SecretName = DaskClusterNames.CredentialsSecret(metadata.Labels[DaskClusterNames.ClusterLabel]) } }],
            RestartPolicy = restartPolicy,
            AutomountServiceAccountToken = false,
            ImagePullSecrets = config.ImagePullSecrets.Count > 0 ? [.. config.ImagePullSecrets.Select(secret => new V1LocalObjectReference { Name = secret })] : null,
        };
        if (extraPodConfig.Count > 0)
        {
            spec = KubernetesJson.Deserialize<V1PodSpec>(JsonDeepMerge.Merge(ToNode(spec), ToNode(extraPodConfig))!.ToJsonString());
        }

        return new V1Pod { ApiVersion = "v1", Kind = "Pod", Metadata = metadata, Spec = spec };
    }
}
