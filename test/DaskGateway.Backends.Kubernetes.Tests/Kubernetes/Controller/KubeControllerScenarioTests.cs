using System.Text.Json.Nodes;
using DaskGateway.Backends.Kubernetes;
using DaskGateway.Kubernetes.Fake;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Kubernetes.Controller;

/// <summary>The controller against the fake API server and its simulated kubelet.</summary>
public sealed class KubeControllerScenarioTests
{
    [Fact]
    public async Task A_new_cluster_gets_credentials_a_scheduler_and_a_service_then_runs()
    {
        await using var harness = await ControllerHarness.StartAsync();
        harness.StartController();

        await harness.CreateClusterAsync("c1");

        await harness.WaitForPhaseAsync("c1", DaskClusterNames.PhaseRunning);
        var secret = harness.Server.Objects.Get(FakeApiResource.Secrets, ControllerHarness.Namespace, "dask-credentials-c1");
        Assert.NotNull(secret);
        Assert.Equal(["dask.crt", "dask.pem", "api-token"], secret["data"]!.AsObject().Select(entry => entry.Key));
        Assert.NotNull(harness.Server.Objects.Get(FakeApiResource.Pods, ControllerHarness.Namespace, "dask-scheduler-c1"));
        var service = harness.Server.Objects.Get(FakeApiResource.Services, ControllerHarness.Namespace, "dask-c1");
        Assert.Equal("None", service?["spec"]?["clusterIP"]?.GetValue<string>());
        var status = harness.Cluster("c1")!["status"]!;
        Assert.Equal("dask-credentials-c1", status["credentials"]?.GetValue<string>());
        Assert.Equal("dask-scheduler-c1", status["schedulerPod"]?.GetValue<string>());
        Assert.Equal("dask-c1", status["service"]?.GetValue<string>());
        Assert.Contains(status["events"]!.AsArray(), e => e?["kind"]?.GetValue<string>() == "Running");
    }

    [Fact]
    public async Task Scaling_0_5_2_0_creates_and_deletes_exactly_the_difference()
    {
        await using var harness = await ControllerHarness.StartAsync();
        var controller = harness.StartController();
        await harness.CreateClusterAsync("c1");
        await harness.WaitForPhaseAsync("c1", DaskClusterNames.PhaseRunning);

        // Workers stay pending, so scaling down has pending workers to delete.
        using var hold = harness.Kubelet.KeepPending(pod => pod["metadata"]?["labels"]?[DaskClusterNames.ComponentLabel]?.GetValue<string>() == DaskClusterNames.WorkerComponent);
        foreach (var replicas in new[] { 5, 2, 0 })
        {
            await ControllerHarness.WaitForReconciliationAsync(controller, () => harness.PatchSpecAsync("c1", "replicas", replicas));
            await Eventually.WaitUntilAsync(() => harness.Workers("c1").Count == replicas, $"{replicas} workers exist (there are {harness.Workers("c1").Count})");

            // Once more, to show the count holds (no duplicates from a lagging cache).
            await ControllerHarness.WaitForReconciliationAsync(controller, () => harness.TouchAsync("c1"));
            Assert.Equal(replicas, harness.Workers("c1").Count);
        }

        var creations = harness.Server.Requests.Count(r => r.Method == "POST" && r.Resource == "pods" && r.Body?.Contains("dask-worker", StringComparison.Ordinal) == true);
        Assert.Equal(5, creations);
    }

    [Fact]
    public async Task Replicas_of_int_max_written_to_a_resource_start_only_the_worker_limit()
    {
        await using var harness = await ControllerHarness.StartAsync();
        var controller = harness.StartController();
        await harness.CreateClusterAsync("c1", new JsonObject { ["image"] = "dask:test", ["default_cluster_max_workers"] = 30 });
        await harness.WaitForPhaseAsync("c1", DaskClusterNames.PhaseRunning);
        using var hold = harness.Kubelet.KeepPending(pod => pod["metadata"]?["labels"]?[DaskClusterNames.ComponentLabel]?.GetValue<string>() == DaskClusterNames.WorkerComponent);

        await ControllerHarness.WaitForReconciliationAsync(controller, () => harness.PatchSpecAsync("c1", "replicas", int.MaxValue));
        await Eventually.WaitUntilAsync(() => harness.Workers("c1").Count >= 30, $"30 workers exist (there are {harness.Workers("c1").Count})");
        await ControllerHarness.WaitForReconciliationAsync(controller, () => harness.TouchAsync("c1"));

        Assert.Equal(30, harness.Workers("c1").Count);
        var creations = harness.Server.Requests.Count(r => r.Method == "POST" && r.Resource == "pods" && r.Body?.Contains("dask-worker", StringComparison.Ordinal) == true);
        Assert.Equal(30, creations);
    }

    [Fact]
    public async Task Running_workers_are_left_to_the_scheduler_and_removed_once_they_exit()
    {
        await using var harness = await ControllerHarness.StartAsync();
        var controller = harness.StartController();
        await harness.CreateClusterAsync("c1");
        await harness.WaitForPhaseAsync("c1", DaskClusterNames.PhaseRunning);
        await harness.PatchSpecAsync("c1", "replicas", 3);
        await Eventually.WaitUntilAsync(() => harness.Workers("c1").Count(w => ControllerHarness.PodPhase(w) == "Running") == 3, "three workers run");

        await ControllerHarness.WaitForReconciliationAsync(controller, () => harness.PatchSpecAsync("c1", "replicas", 1));
        Assert.Equal(3, harness.Workers("c1").Count);

        // The scheduler retires two: their pods exit 0.
        foreach (var worker in harness.Workers("c1").Take(2))
        {
            harness.Kubelet.TerminatePod(ControllerHarness.Namespace, worker["metadata"]!["name"]!.GetValue<string>());
        }

        await Eventually.WaitUntilAsync(() => harness.Workers("c1").Count == 1, "the exited workers were deleted");
    }

    [Fact]
    public async Task A_failing_scheduler_fails_the_cluster_with_its_reason()
    {
        await using var harness = await ControllerHarness.StartAsync();
        harness.StartController();
        await harness.CreateClusterAsync("c1");
        await harness.WaitForPhaseAsync("c1", DaskClusterNames.PhaseRunning);

        harness.Kubelet.TerminatePod(ControllerHarness.Namespace, "dask-scheduler-c1", 3, "Error", "ImportError: no module named dask_gateway");

        await harness.WaitForPhaseAsync("c1", DaskClusterNames.PhaseFailed);
        var status = harness.Cluster("c1")!["status"]!;
        var failed = status["events"]!.AsArray().Last()!;
        Assert.Equal("Failed", failed["kind"]!.GetValue<string>());
        Assert.Contains("code 3", failed["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("ImportError", failed["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(status["completionTime"]);
        await Eventually.WaitUntilAsync(
            () => harness.Server.Objects.Get(FakeApiResource.Secrets, ControllerHarness.Namespace, "dask-credentials-c1") is null
                && harness.Server.Objects.Get(FakeApiResource.Pods, ControllerHarness.Namespace, "dask-scheduler-c1") is null,
            "the cluster's objects were removed");
    }

    [Fact]
    public async Task Stopping_removes_the_objects_and_records_the_completion_time()
    {
        await using var harness = await ControllerHarness.StartAsync();
        harness.StartController();
        await harness.CreateClusterAsync("c1");
        await harness.WaitForPhaseAsync("c1", DaskClusterNames.PhaseRunning);
        await harness.PatchSpecAsync("c1", "replicas", 2);
        await Eventually.WaitUntilAsync(() => harness.Workers("c1").Count == 2, "two workers exist");

        await harness.PatchSpecAsync("c1", "active", false);

        await harness.WaitForPhaseAsync("c1", DaskClusterNames.PhaseStopped);
        Assert.NotNull(harness.Cluster("c1")!["status"]!["completionTime"]);
        await Eventually.WaitUntilAsync(
            () => harness.Server.Objects.List(FakeApiResource.Pods, ControllerHarness.Namespace).Count == 0
                && harness.Server.Objects.List(FakeApiResource.Services, ControllerHarness.Namespace).Count == 0
                && harness.Server.Objects.List(FakeApiResource.Secrets, ControllerHarness.Namespace).Count == 0,
            "pods, service and secret are gone");
    }

    [Fact]
    public async Task A_malformed_config_fails_the_cluster_with_a_clear_event()
    {
        await using var harness = await ControllerHarness.StartAsync();
        harness.StartController();

        await harness.CreateClusterAsync("bad", new JsonObject { ["worker_cores"] = "many" });
        await harness.CreateClusterAsync("good");

        await harness.WaitForPhaseAsync("bad", DaskClusterNames.PhaseFailed);
        var message = harness.Cluster("bad")!["status"]!["events"]!.AsArray().Last()!["message"]!.GetValue<string>();
        Assert.StartsWith("Invalid cluster config", message, StringComparison.Ordinal);
        Assert.Contains("worker_cores", message, StringComparison.Ordinal);
        await harness.WaitForPhaseAsync("good", DaskClusterNames.PhaseRunning);
    }

    [Fact]
    public async Task A_controller_restarted_mid_scale_converges_without_duplicates()
    {
        await using var harness = await ControllerHarness.StartAsync();
        var first = harness.StartController();
        await harness.CreateClusterAsync("c1");
        await harness.WaitForPhaseAsync("c1", DaskClusterNames.PhaseRunning);

        // The first controller gets three workers made (batches of 1 and 2), then every creation fails.
        using var hold = harness.Kubelet.KeepPending(pod => pod["metadata"]?["labels"]?[DaskClusterNames.ComponentLabel]?.GetValue<string>() == DaskClusterNames.WorkerComponent);
        var workerCreations = 0;
        harness.Server.FailNext(1000, 500, request =>
            request.Method == "POST" && request.Resource == "pods" && Interlocked.Increment(ref workerCreations) > 3);
        await harness.PatchSpecAsync("c1", "replicas", 5);
        await Eventually.WaitUntilAsync(() => harness.Workers("c1").Count == 3 && workerCreations > 4, "the first controller is stuck at three workers");
        await harness.StopControllerAsync(first);

        Interlocked.Exchange(ref workerCreations, int.MinValue);
        var second = harness.StartController();

        await Eventually.WaitUntilAsync(() => harness.Workers("c1").Count == 5, "the second controller made the two missing workers");
        await ControllerHarness.WaitForReconciliationAsync(second, () => harness.TouchAsync("c1"));
        Assert.Equal(5, harness.Workers("c1").Count);
    }

    [Fact]
    public async Task Of_two_controllers_exactly_one_acts_and_the_other_takes_over()
    {
        await using var harness = await ControllerHarness.StartAsync();
        var a = harness.StartController();
        var b = harness.StartController();
        await Eventually.WaitUntilAsync(() => a.IsLeading || b.IsLeading, "a controller leads");
        Assert.False(a.IsLeading && b.IsLeading);
        var (leader, follower) = a.IsLeading ? (a, b) : (b, a);

        await harness.CreateClusterAsync("c1");
        await harness.WaitForPhaseAsync("c1", DaskClusterNames.PhaseRunning);
        Assert.Equal(0, follower.Reconciliations);
        Assert.False(follower.IsLeading);

        await harness.StopControllerAsync(leader);
        await Eventually.WaitUntilAsync(() => follower.IsLeading, "the other controller took over");
        await harness.PatchSpecAsync("c1", "replicas", 2);
        await Eventually.WaitUntilAsync(() => harness.Workers("c1").Count == 2, "the new leader scaled the cluster");
    }

    [Fact]
    public async Task Api_errors_and_conflicts_are_retried_with_backoff()
    {
        await using var harness = await ControllerHarness.StartAsync();
        harness.Server.FailNext(2, 500, request => request.Method == "POST" && request.Resource == "secrets");
        harness.Server.FailNext(2, 409, request => request.Method == "PATCH" && request.Subresource == "status");
        harness.Server.FailNext(2, 503, request => request.Method == "POST" && request.Resource == "pods");
        harness.StartController();

        await harness.CreateClusterAsync("c1");

        await harness.WaitForPhaseAsync("c1", DaskClusterNames.PhaseRunning);
        Assert.Single(harness.Server.Objects.List(FakeApiResource.Pods, ControllerHarness.Namespace));
    }

    [Fact]
    public async Task Expired_watches_are_listed_again_and_changes_still_arrive()
    {
        await using var harness = await ControllerHarness.StartAsync();
        harness.StartController();
        await harness.CreateClusterAsync("c1");
        await harness.WaitForPhaseAsync("c1", DaskClusterNames.PhaseRunning);

        harness.Server.ExpireWatches();
        await harness.PatchSpecAsync("c1", "replicas", 2);

        await Eventually.WaitUntilAsync(() => harness.Workers("c1").Count == 2, "the change after the expiry was acted on");
        var lists = harness.Server.Requests.Count(r => r.Method == "GET" && r.Resource == "daskclusters" && !r.Query.Contains("watch=true", StringComparison.Ordinal));
        Assert.True(lists >= 2, $"the clusters were listed {lists} times");
    }

    [Fact]
    public async Task Completed_clusters_are_deleted_after_their_maximum_age()
    {
        await using var harness = await ControllerHarness.StartAsync();
        harness.StartController(ControllerHarness.Settings(completedClusterMaxAge: 0));
        await harness.CreateClusterAsync("c1");
        await harness.WaitForPhaseAsync("c1", DaskClusterNames.PhaseRunning);

        await harness.PatchSpecAsync("c1", "active", false);

        await Eventually.WaitUntilAsync(() => harness.Cluster("c1") is null, "the stopped cluster was deleted");
    }
}
