using System.Text.Json.Nodes;
using DaskGateway.Kubernetes.Fake;
using k8s;
using k8s.Models;

namespace DaskGateway.FakeApiServer;

public sealed class SimulatedKubeletTests
{
    private static readonly Dictionary<string, string> SchedulerLabels = new() { ["app"] = "dask", ["component"] = "dask-scheduler" };

    [Fact]
    public async Task A_new_pod_runs_with_an_ip_ready_conditions_and_a_status_per_container()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        cluster.Server.StartKubelet();
        var pod = FakeCluster.Pod("p1");
        pod.Spec.Containers.Add(new V1Container { Name = "sidecar", Image = "example/sidecar:1" });
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: ct);
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(FakeCluster.Pod("p2"), "default", cancellationToken: ct);

        await cluster.Server.Objects.WaitForAsync(FakeApiResource.Pods, IsRunning("p1"), ct);
        await cluster.Server.Objects.WaitForAsync(FakeApiResource.Pods, IsRunning("p2"), ct);

        var running = await cluster.Client.CoreV1.ReadNamespacedPodAsync("p1", "default", cancellationToken: ct);
        var other = await cluster.Client.CoreV1.ReadNamespacedPodAsync("p2", "default", cancellationToken: ct);
        Assert.StartsWith("10.", running.Status.PodIP, StringComparison.Ordinal);
        Assert.NotEqual(running.Status.PodIP, other.Status.PodIP);
        Assert.NotNull(running.Status.StartTime);
        Assert.Contains(running.Status.Conditions, c => c.Type == "Ready" && c.Status == "True");
        Assert.Equal(["main", "sidecar"], running.Status.ContainerStatuses.Select(c => c.Name));
        Assert.All(running.Status.ContainerStatuses, c => Assert.True(c.Ready && c.State.Running is not null));
    }

    [Fact]
    public async Task Endpoints_list_ready_and_not_ready_pods_of_a_service_and_drop_terminated_ones()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var kubelet = cluster.Server.StartKubelet();
        var core = cluster.Client.CoreV1;
        await core.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "dask-abc", Labels = SchedulerLabels },
            Spec = new V1ServiceSpec
            {
                ClusterIP = "None",
                Selector = SchedulerLabels,
                Ports = [new V1ServicePort { Name = "tcp-comm", Port = 8786, TargetPort = 8786 }, new V1ServicePort { Name = "http-dashboard", Port = 8787 }],
            },
        }, "default", cancellationToken: ct);
        await core.CreateNamespacedPodAsync(FakeCluster.Pod("scheduler", SchedulerLabels), "default", cancellationToken: ct);
        await core.CreateNamespacedPodAsync(FakeCluster.Pod("unrelated"), "default", cancellationToken: ct);
        var pod = await cluster.Server.Objects.WaitForAsync(FakeApiResource.Pods, IsRunning("scheduler"), ct);
        var ip = pod["status"]!["podIP"]!.GetValue<string>();

        await cluster.Server.Objects.WaitForAsync(FakeApiResource.Endpoints, e => Ips(e, "addresses").SequenceEqual([ip]), ct);
        var endpoints = await core.ReadNamespacedEndpointsAsync("dask-abc", "default", cancellationToken: ct);
        var address = Assert.Single(Assert.Single(endpoints.Subsets).Addresses);
        Assert.Equal(("Pod", "scheduler"), (address.TargetRef.Kind, address.TargetRef.Name));
        Assert.Equal([8786, 8787], endpoints.Subsets[0].Ports.Select(p => p.Port));
        Assert.Equal("dask-scheduler", endpoints.Metadata.Labels["component"]);

        Assert.True(kubelet.SetPodReady("default", "scheduler", false));
        await cluster.Server.Objects.WaitForAsync(FakeApiResource.Endpoints, e => Ips(e, "notReadyAddresses").SequenceEqual([ip]) && !Ips(e, "addresses").Any(), ct);

        Assert.True(kubelet.TerminatePod("default", "scheduler", exitCode: 1, message: "boom"));
        await cluster.Server.Objects.WaitForAsync(FakeApiResource.Endpoints, e => e["subsets"] is null, ct);
    }

    [Fact]
    public async Task A_terminated_pod_reports_its_exit_code_reason_and_message()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var kubelet = cluster.Server.StartKubelet();
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(FakeCluster.Pod("ok"), "default", cancellationToken: ct);
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(FakeCluster.Pod("bad"), "default", cancellationToken: ct);
        await cluster.Server.Objects.WaitForAsync(FakeApiResource.Pods, IsRunning("ok"), ct);
        await cluster.Server.Objects.WaitForAsync(FakeApiResource.Pods, IsRunning("bad"), ct);

        kubelet.TerminatePod("default", "ok");
        kubelet.TerminatePod("default", "bad", exitCode: 137, reason: "OOMKilled", message: "out of memory");

        var ok = await cluster.Client.CoreV1.ReadNamespacedPodAsync("ok", "default", cancellationToken: ct);
        var bad = await cluster.Client.CoreV1.ReadNamespacedPodAsync("bad", "default", cancellationToken: ct);
        Assert.Equal("Succeeded", ok.Status.Phase);
        Assert.Equal((0, "Completed"), (ok.Status.ContainerStatuses[0].State.Terminated.ExitCode, ok.Status.ContainerStatuses[0].State.Terminated.Reason));
        Assert.Equal("Failed", bad.Status.Phase);
        var terminated = bad.Status.ContainerStatuses[0].State.Terminated;
        Assert.Equal((137, "OOMKilled", "out of memory"), (terminated.ExitCode, terminated.Reason, terminated.Message));
    }

    [Fact]
    public async Task Pods_kept_pending_are_unschedulable_until_released()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var kubelet = cluster.Server.StartKubelet();
        var hold = kubelet.KeepPending(pod => pod["metadata"]!["name"]!.GetValue<string>() == "stuck");
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(FakeCluster.Pod("stuck"), "default", cancellationToken: ct);

        var pending = await cluster.Server.Objects.WaitForAsync(
            FakeApiResource.Pods,
            pod => pod["status"]?["conditions"]?[0]?["reason"]?.GetValue<string>() == "Unschedulable",
            ct);
        Assert.Equal("Pending", pending["status"]!["phase"]!.GetValue<string>());

        hold.Dispose();
        await cluster.Server.Objects.WaitForAsync(FakeApiResource.Pods, IsRunning("stuck"), ct);
    }

    private static Func<JsonObject, bool> IsRunning(string name) =>
        pod => pod["metadata"]!["name"]!.GetValue<string>() == name && pod["status"]?["phase"]?.GetValue<string>() == "Running";

    private static IEnumerable<string> Ips(JsonObject endpoints, string field) =>
        (endpoints["subsets"] as JsonArray ?? [])
            .SelectMany(subset => subset?[field] as JsonArray ?? [])
            .Select(address => address!["ip"]!.GetValue<string>());
}
