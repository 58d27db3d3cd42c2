using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaskGateway.Backends.Kubernetes;
using DaskGateway.Backends.Kubernetes.Controller;
using DaskGateway.Clusters;
using DaskGateway.Configuration;
using k8s;
using k8s.Models;

namespace DaskGateway.Kubernetes.Controller;

/// <summary>
/// The controller's manifests against golden files in <c>Golden/</c>, compared exactly. After an
/// intended change, regenerate them with
/// <c>DASK_GATEWAY_UPDATE_GOLDEN=1 dotnet test --project test/DaskGateway.Backends.Kubernetes.Tests -c Release -- --filter-class DaskGateway.Kubernetes.Controller.ClusterManifestsTests</c>
/// and review the diff.
/// </summary>
public sealed class ClusterManifestsTests
{
    [Fact]
    public void Scheduler_pod_with_default_settings() =>
        AssertGolden("scheduler-pod-default", Manifests().SchedulerPod(Cluster(), new KubeClusterConfig()));

    [Fact]
    public void Worker_pod_with_default_settings() =>
        AssertGolden("worker-pod-default", Manifests().WorkerPod(Cluster(), new KubeClusterConfig(), SchedulerPod()));

    [Fact]
    public void Service_of_the_scheduler() =>
        AssertGolden("service", Manifests().Service(Cluster(), SchedulerPod()));

    [Fact]
    public void Credentials_secret() =>
        AssertGolden("secret", Manifests().Secret(Cluster(), new ClusterCredentials("CERTIFICATE\n", "PRIVATE KEY\n"), "0123456789abcdef0123456789abcdef"));

    [Fact]
    public void Scheduler_pod_with_every_setting_and_merge_rule() =>
        AssertGolden("scheduler-pod-custom", Manifests().SchedulerPod(Cluster(), CustomConfig()));

    [Fact]
    public void Worker_pod_with_every_setting_and_merge_rule() =>
        AssertGolden("worker-pod-custom", Manifests().WorkerPod(Cluster(), CustomConfig(), SchedulerPod()));

    [Fact]
    public void Merging_extra_config_does_not_change_the_settings()
    {
        var config = CustomConfig();
        var before = JsonSerializer.Serialize(config.SchedulerExtraContainerConfig) + JsonSerializer.Serialize(config.SchedulerExtraPodConfig);

        Manifests().SchedulerPod(Cluster(), config);
        Manifests().SchedulerPod(Cluster(), config);

        Assert.Equal(before, JsonSerializer.Serialize(config.SchedulerExtraContainerConfig) + JsonSerializer.Serialize(config.SchedulerExtraPodConfig));
    }

    private static ClusterManifests Manifests() => new(new KubeControllerSettings
    {
        ApiUrl = "http://api-dask-gateway.gateway:8000/api",
        GatewayInstance = "gw1",
        CommonLabels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "dask-gateway" },
        CommonAnnotations = new Dictionary<string, string> { ["example.org/owner"] = "data-team" },
    });

    internal static DaskClusterResource Cluster() => new()
    {
        Metadata = new V1ObjectMeta { Name = "0123456789abcdef0123456789abcdef", NamespaceProperty = "ns1", Uid = "cluster-uid" },
        Spec = new DaskClusterSpec { Username = "alice" },
    };

    private static V1Pod SchedulerPod() => new()
    {
        Metadata = new V1ObjectMeta { Name = "dask-scheduler-0123456789abcdef0123456789abcdef", NamespaceProperty = "ns1", Uid = "scheduler-uid" },
    };

    // Exercises each rule: objects merge recursively (resources.limits gains a key, nodeSelector is
    // new), lists are appended (env, volumeMounts, volumes, tolerations), scalars are replaced
    // (imagePullPolicy, restartPolicy, readinessProbe.periodSeconds).
    private static KubeClusterConfig CustomConfig()
    {
        var containerExtra = JsonValue("""
            {"imagePullPolicy": "Always",
             "env": [{"name": "EXTRA", "value": "1"}],
             "volumeMounts": [{"name": "data", "mountPath": "/data"}],
             "resources": {"limits": {"nvidia.com/gpu": "1"}},
             "readinessProbe": {"periodSeconds": 10},
             "securityContext": {"runAsUser": 1000}}
            """);
        var podExtra = JsonValue("""
            {"restartPolicy": "Always",
             "volumes": [{"name": "data", "emptyDir": {}}],
             "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "dask", "effect": "NoSchedule"}],
             "nodeSelector": {"pool": "dask"}}
            """);
        return new KubeClusterConfig
        {
            Image = "registry.example.org/dask:2026.3",
            ImagePullPolicy = "IfNotPresent",
            ImagePullSecrets = ["registry-credentials"],
            SchedulerCmd = ["/opt/conda/bin/dask-scheduler", "--no-show"],
            WorkerCmd = ["dask-worker"],
            Environment = new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "1" },
            SchedulerCores = 0.5,
            SchedulerCoresLimit = 2,
            SchedulerMemory = MemorySize.FromMiB(512),
            SchedulerMemoryLimit = MemorySize.FromGiB(1),
            WorkerCores = 2,
            WorkerCoresLimit = 2.5,
            WorkerMemory = MemorySize.FromGiB(4),
            WorkerMemoryLimit = MemorySize.FromGiB(6),
            WorkerThreads = 3,
            AdaptivePeriod = 1.5,
            IdleTimeout = 600,
            SchedulerExtraPodLabels = new Dictionary<string, string> { ["role"] = "scheduler" },
            SchedulerExtraPodAnnotations = new Dictionary<string, string> { ["scrape"] = "true" },
            WorkerExtraPodLabels = new Dictionary<string, string> { ["role"] = "worker" },
            WorkerExtraPodAnnotations = new Dictionary<string, string> { ["scrape"] = "false" },
            SchedulerExtraContainerConfig = containerExtra,
            SchedulerExtraPodConfig = podExtra,
            WorkerExtraContainerConfig = containerExtra,
            WorkerExtraPodConfig = podExtra,
        };
    }

    private static Dictionary<string, object?> JsonValue(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, object?>>(json)!;

    private static void AssertGolden(string name, object manifest, [CallerFilePath] string thisFile = "")
    {
        var actual = JsonNode.Parse(KubernetesJson.Serialize(manifest))!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        var path = Path.Combine(Path.GetDirectoryName(thisFile)!, "Golden", name + ".json");
        if (Environment.GetEnvironmentVariable("DASK_GATEWAY_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"Golden file {path} is missing; see this class's summary to generate it.");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
