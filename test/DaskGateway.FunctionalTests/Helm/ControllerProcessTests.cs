using System.Text.Json.Nodes;
using DaskGateway.Kubernetes.Fake;
using DaskGateway.Tests.Infrastructure;
using k8s.Models;

namespace DaskGateway.Tests.Helm;

/// <summary>
/// The controller the chart deploys, as the pod runs it: the real <c>dask-gateway-server
/// kube-controller</c> process with the rendered controller config, against the fake API server
/// (only the API server's address and the health port are changed by flags).
/// </summary>
public sealed class ControllerProcessTests
{
    private const string FullName = HelmChart.ReleaseName;

    [Fact]
    public async Task TheRenderedControllerConfig_RunsTheControllerProcess_WhichStartsAClustersScheduler()
    {
        await using var kube = await FakeKubernetesApiServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        kube.StartKubelet();
        var release = await HelmChart.RenderAsync("default");
        var directory = HelmChart.WriteConfigMap(release.Get<V1ConfigMap>("controller-" + FullName));
        var args = release.Get<V1Deployment>("controller-" + FullName).Spec.Template.Spec.Containers.Single().Args;
        Assert.Equal("dask-gateway-server", args[0]);

        await using var controller = ServerProcess.Start(
        [
            .. args.Skip(1).Select(arg => arg.Replace("/etc/dask-gateway", directory, StringComparison.Ordinal)),
            "--KubeController.KubeconfigPath=" + kube.WriteKubeconfig(),
            "--KubeController.Address=127.0.0.1:0",
        ]);
        kube.Objects.Put(FakeApiResource.DaskClusters, new JsonObject
        {
            ["apiVersion"] = "gateway.dask.org/v1alpha1",
            ["kind"] = "DaskCluster",
            ["metadata"] = new JsonObject
            {
                ["name"] = "abc123",
                ["namespace"] = HelmChart.Namespace,
                ["labels"] = new JsonObject { ["gateway.dask.org/instance"] = FullName, ["gateway.dask.org/cluster"] = "abc123" },
            },
            ["spec"] = new JsonObject { ["username"] = "alice", ["options"] = new JsonObject(), ["config"] = new JsonObject { ["image"] = "example.org/dask:1" } },
        });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var scheduler = await kube.Objects.WaitForAsync(FakeApiResource.Pods, pod => (string?)pod["metadata"]!["name"] == "dask-scheduler-abc123", timeout.Token)
            .WaitAsync(timeout.Token)
            .ContinueWith(task => task.IsCompletedSuccessfully ? task.Result : throw new TimeoutException("no scheduler pod; controller output:\n" + controller.StandardOutput + controller.StandardError), TaskScheduler.Default);

        var environment = scheduler["spec"]!["containers"]![0]!["env"]!.AsArray();
        Assert.Contains(environment, variable => (string?)variable!["name"] == "DASK_GATEWAY_API_URL" && (string?)variable["value"] == $"http://api-{FullName}.{HelmChart.Namespace}:8001/api");
        Assert.Equal("example.org/dask:1", (string?)scheduler["spec"]!["containers"]![0]!["image"]);
        Assert.NotNull(kube.Objects.Get(FakeApiResource.Secrets, HelmChart.Namespace, "dask-credentials-abc123"));
    }
}
