using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DaskGateway.Backends.Kubernetes;
using DaskGateway.Kubernetes.Controller;
using DaskGateway.Kubernetes.Fake;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Kubernetes.Gateway;

/// <summary>
/// The gateway and the controller together against the fake API server and its simulated kubelet
/// (the controller scenarios' harness):
/// a user creates, scales and stops a cluster through the HTTP API and sees the right cluster dict
/// at each step while real controller code makes the Secret, pods and Service.
/// </summary>
public sealed class KubeEndToEndTests : IAsyncLifetime
{
    private const string Namespace = ControllerHarness.Namespace;

    private ControllerHarness _kube = null!;
    private TestGateway _gateway = null!;

    public async ValueTask InitializeAsync()
    {
        _kube = await ControllerHarness.StartAsync();
        _kube.StartController();
        _gateway = await TestGateway.StartAsync(
            ("DaskGateway.BackendClass", "kubernetes"),
            ("KubeBackend.KubeconfigPath", _kube.Server.WriteKubeconfig()),
            ("KubeBackend.GatewayInstance", ControllerHarness.Instance),
            ("KubeClusterConfig.Namespace", Namespace),
            ("KubeClusterConfig.Image", "example.org/dask:2026.1"));
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _kube.DisposeAsync();
    }

    [Fact]
    public async Task A_user_creates_scales_and_stops_a_cluster_made_by_the_controller()
    {
        using var alice = _gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        Assert.True(DaskClusterNames.TrySplitClusterName(name, out _, out var resourceName));

        var running = await alice.WaitForStatusAsync(name, "RUNNING");

        var secret = _kube.Server.Objects.Get(FakeApiResource.Secrets, Namespace, DaskClusterNames.CredentialsSecret(resourceName))!;
        Assert.Equal(Decode(secret, "dask.crt"), (string?)running["tls_cert"]);
        Assert.Equal(Decode(secret, "dask.pem"), (string?)running["tls_key"]);
        Assert.Equal($"/clusters/{name}/status", (string?)running["dashboard_route"]);
        var schedulerPod = _kube.Server.Objects.Get(FakeApiResource.Pods, Namespace, DaskClusterNames.SchedulerPod(resourceName))!;
        Assert.Equal("example.org/dask:2026.1", (string?)schedulerPod["spec"]!["containers"]![0]!["image"]);
        Assert.True(_gateway.Routes.TryGetSni(name, out var route));
        Assert.Equal($"tls://dask-{resourceName}.{Namespace}:8786", route);

        // Scale goes to the scheduler's API (here a stand-in with the cluster's real token), then to spec.replicas.
        await using var scheduler = await FakeDaskScheduler.StartAsync(name, Decode(secret, "api-token"), new Uri(_gateway.PrivateAddress, "api"), TimeSpan.FromSeconds(30), heartbeats: false);
        _gateway.Backend<KubeBackend>().ClusterAddresses = (_, _) => new KubeClusterAddresses(route, "http://127.0.0.1:1", scheduler.ApiAddress.ToString().TrimEnd('/'));
        using (var scaled = await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 3 }))
        {
            Assert.True((bool)(await GatewayClient.ReadJsonAsync(scaled, HttpStatusCode.OK))["ok"]!);
        }

        await Eventually.WaitUntilAsync(() => _kube.Workers(resourceName).Count(pod => ControllerHarness.PodPhase(pod) == "Running") == 3, "three running worker pods", seconds: 20);
        Assert.Equal(3, scheduler.Count);

        using (var stop = await alice.DeleteAsync($"api/v1/clusters/{name}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, stop.StatusCode);
        }

        var stopped = await alice.WaitForStatusAsync(name, "STOPPED");
        Assert.NotNull(stopped["stop_time"]);
        Assert.Null(stopped["tls_cert"]);
        await Eventually.WaitUntilAsync(() => _kube.Server.Objects.List(FakeApiResource.Pods, Namespace).Count == 0, "every pod deleted", seconds: 20);
        Assert.False(_gateway.Routes.TryGetSni(name, out _));
        Assert.Empty((await alice.GetJsonAsync("api/v1/clusters/")).AsObject());
    }

    [Fact]
    public async Task A_failing_scheduler_fails_the_cluster_with_its_reason_in_the_events()
    {
        using var alice = _gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        DaskClusterNames.TrySplitClusterName(name, out _, out var resourceName);
        await _kube.Server.Objects.WaitForAsync(FakeApiResource.Pods, pod => (string?)pod["metadata"]!["name"] == DaskClusterNames.SchedulerPod(resourceName), TestContext.Current.CancellationToken);

        _kube.Kubelet.TerminatePod(Namespace, DaskClusterNames.SchedulerPod(resourceName), 1, "Error", "ModuleNotFoundError: No module named 'dask_gateway'");

        await alice.WaitForStatusAsync(name, "FAILED");
        var events = (await alice.GetJsonAsync($"api/v1/clusters/{name}/events"))["events"]!.AsArray();
        Assert.True(events.Any(e => ((string?)e!["message"])?.Contains("No module named 'dask_gateway'", StringComparison.Ordinal) == true), events.ToJsonString());
    }

    private static string Decode(JsonObject secret, string key) => Encoding.UTF8.GetString(Convert.FromBase64String((string)secret["data"]![key]!));
}
