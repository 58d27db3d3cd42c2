using System.Text.Json.Nodes;
using DaskGateway.Backends.Kubernetes;
using DaskGateway.Backends.Kubernetes.Controller;
using DaskGateway.Kubernetes.Fake;
using DaskGateway.Tests.Infrastructure;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaskGateway.Kubernetes.Controller;

/// <summary>A fake API server with its kubelet, and controllers against it with short periods.</summary>
internal sealed class ControllerHarness : IAsyncDisposable
{
    public const string Namespace = "ns1";
    public const string Instance = "gw1";

    private readonly List<(KubeController Controller, CancellationTokenSource Stop, Task Run, IKubernetes Client)> _controllers = [];

    private ControllerHarness(FakeKubernetesApiServer server, SimulatedKubelet kubelet)
    {
        Server = server;
        Kubelet = kubelet;
        Client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = server.Url.ToString() });
    }

    public FakeKubernetesApiServer Server { get; }

    public SimulatedKubelet Kubelet { get; }

    public IKubernetes Client { get; }

    public static async Task<ControllerHarness> StartAsync()
    {
        var server = await FakeKubernetesApiServer.StartAsync();
        var kubelet = server.StartKubelet(new SimulatedKubeletOptions { StartDelay = TimeSpan.FromMilliseconds(20) });
        return new ControllerHarness(server, kubelet);
    }

    public static KubeControllerSettings Settings(double completedClusterMaxAge = 3600) => new()
    {
        GatewayInstance = Instance,
        ApiUrl = "http://api.gateway:8000/api",
        BackoffBaseDelay = 0.05,
        BackoffMaxDelay = 0.5,
        CompletedClusterMaxAge = completedClusterMaxAge,
        CompletedClusterCleanupPeriod = 0.2,
        LeaseDuration = 2,
        LeaseRenewDeadline = 1.5,
        LeaseRetryPeriod = 0.2,
        LeaseNamespace = "controllers",
        Parallelism = 4,
    };

    public KubeController StartController(KubeControllerSettings? settings = null)
    {
        var client = KubeClientFactory.Create(new KubernetesClientConfiguration { Host = Server.Url.ToString() }, 1000, 1000);
        // DASK_GATEWAY_TEST_LOG=1 shows the controller's log on the console when a scenario needs explaining.
        ILoggerFactory loggers = Environment.GetEnvironmentVariable("DASK_GATEWAY_TEST_LOG") == "1"
            ? LoggerFactory.Create(builder => builder.AddSimpleConsole().SetMinimumLevel(LogLevel.Debug))
            : NullLoggerFactory.Instance;
        var controller = new KubeController(settings ?? Settings(), client, loggers);
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => controller.RunAsync(stop.Token));
        _controllers.Add((controller, stop, run, client));
        return controller;
    }

    /// <summary>Stops a controller as a crash would look to the others: it stops acting and renewing.</summary>
    public async Task StopControllerAsync(KubeController controller)
    {
        var entry = _controllers.Single(c => c.Controller == controller);
        _controllers.Remove(entry);
        await entry.Stop.CancelAsync();
        await entry.Run.WaitAsync(TimeSpan.FromSeconds(30));
        await controller.DisposeAsync();
        entry.Client.Dispose();
        entry.Stop.Dispose();
    }

    public async Task CreateClusterAsync(string name, JsonObject? config = null)
    {
        var body = new JsonObject
        {
            ["apiVersion"] = DaskClusterResource.ApiVersionName,
            ["kind"] = DaskClusterResource.KindName,
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["labels"] = new JsonObject { [DaskClusterNames.InstanceLabel] = Instance, [DaskClusterNames.ClusterLabel] = name },
            },
            ["spec"] = new JsonObject { ["username"] = "alice", ["options"] = new JsonObject(), ["config"] = config ?? new JsonObject { ["image"] = "dask:test" } },
        };
        await Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, DaskClusterResource.Group, DaskClusterResource.Version, Namespace, DaskClusterResource.Plural);
    }

    /// <summary>As the gateway does: a JSON patch <c>add</c> of one spec field.</summary>
    public Task PatchSpecAsync(string name, string field, JsonNode value) => PatchAsync(name, $"/spec/{field}", value);

    private async Task PatchAsync(string name, string path, JsonNode value)
    {
        var patch = new JsonArray(new JsonObject { ["op"] = "add", ["path"] = path, ["value"] = value });
        await Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch(patch.ToJsonString(), V1Patch.PatchType.JsonPatch), DaskClusterResource.Group, DaskClusterResource.Version, Namespace, DaskClusterResource.Plural, name);
    }

    /// <summary>Changes an annotation of the cluster, so that the controller looks at it again.</summary>
    public Task TouchAsync(string name) =>
        PatchAsync(name, "/metadata/annotations", new JsonObject { ["test.example.org/touched"] = Guid.NewGuid().ToString("N") });

    public JsonObject? Cluster(string name) => Server.Objects.Get(FakeApiResource.DaskClusters, Namespace, name);

    public string? Phase(string name) => Cluster(name)?["status"]?["phase"]?.GetValue<string>();

    public IReadOnlyList<JsonObject> Workers(string name) =>
        Server.Objects.List(FakeApiResource.Pods, Namespace, $"{DaskClusterNames.ClusterLabel}={name},{DaskClusterNames.ComponentLabel}={DaskClusterNames.WorkerComponent}");

    public static string? PodPhase(JsonObject pod) => pod["status"]?["phase"]?.GetValue<string>();

    public Task WaitForPhaseAsync(string name, string phase) =>
        Eventually.WaitUntilAsync(() => Phase(name) == phase, $"cluster {name} is {phase} (it is {Phase(name) ?? "without a phase"})");

    /// <summary>Waits until <paramref name="controller"/> has reconciled at least once more after now.</summary>
    public static async Task WaitForReconciliationAsync(KubeController controller, Func<Task> trigger)
    {
        var before = controller.Reconciliations;
        await trigger();
        await Eventually.WaitUntilAsync(() => controller.Reconciliations > before, "the controller reconciled again");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (controller, _, _, _) in _controllers.ToList())
        {
            await StopControllerAsync(controller);
        }

        // The server stops its kubelet.
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
