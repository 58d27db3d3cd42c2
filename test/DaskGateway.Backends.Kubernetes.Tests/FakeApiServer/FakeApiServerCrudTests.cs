using System.Net;
using DaskGateway.Kubernetes.Fake;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DaskGateway.FakeApiServer;

public sealed class FakeApiServerCrudTests
{
    [Fact]
    public async Task Pods_are_created_read_replaced_patched_and_deleted()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var pods = cluster.Client.CoreV1;

        var created = await pods.CreateNamespacedPodAsync(FakeCluster.Pod("p1"), "default", cancellationToken: ct);
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.NotNull(created.Metadata.CreationTimestamp);
        Assert.Equal("Pending", created.Status.Phase);

        var read = await pods.ReadNamespacedPodAsync("p1", "default", cancellationToken: ct);
        Assert.Equal(created.Metadata.ResourceVersion, read.Metadata.ResourceVersion);

        read.Metadata.Labels = new Dictionary<string, string> { ["a"] = "b" };
        var replaced = await pods.ReplaceNamespacedPodAsync(read, "p1", "default", cancellationToken: ct);
        Assert.Equal("b", replaced.Metadata.Labels["a"]);
        Assert.True(long.Parse(replaced.Metadata.ResourceVersion) > long.Parse(read.Metadata.ResourceVersion));
        Assert.Equal(created.Metadata.Uid, replaced.Metadata.Uid);

        var patched = await pods.PatchNamespacedPodAsync(
            new V1Patch("""{"metadata":{"annotations":{"x":"y"}}}""", V1Patch.PatchType.StrategicMergePatch), "p1", "default", cancellationToken: ct);
        Assert.Equal("y", patched.Metadata.Annotations["x"]);
        Assert.Equal("b", patched.Metadata.Labels["a"]);

        var deleted = await pods.DeleteNamespacedPodAsync("p1", "default", cancellationToken: ct);
        Assert.Equal("p1", deleted.Metadata.Name);
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => pods.ReadNamespacedPodAsync("p1", "default", cancellationToken: ct));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.Contains("\"reason\":\"NotFound\"", missing.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_and_services_round_trip_and_delete_with_the_bodies_the_client_expects()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;

        await core.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "creds" },
            Data = new Dictionary<string, byte[]> { ["api-token"] = "abc"u8.ToArray() },
        }, "ns1", cancellationToken: ct);
        var secret = await core.ReadNamespacedSecretAsync("creds", "ns1", cancellationToken: ct);
        Assert.Equal("abc"u8.ToArray(), secret.Data["api-token"]);

        var service = await core.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "svc" },
            Spec = new V1ServiceSpec { ClusterIP = "None", Selector = new Dictionary<string, string> { ["app"] = "x" }, Ports = [new V1ServicePort { Name = "tcp", Port = 8786 }] },
        }, "ns1", cancellationToken: ct);
        Assert.Equal("None", service.Spec.ClusterIP);

        var secretStatus = await core.DeleteNamespacedSecretAsync("creds", "ns1", cancellationToken: ct);
        Assert.Equal("Success", secretStatus.Status);
        var deletedService = await core.DeleteNamespacedServiceAsync("svc", "ns1", cancellationToken: ct);
        Assert.Equal("svc", deletedService.Metadata.Name);
        Assert.Empty((await core.ListNamespacedSecretAsync("ns1", cancellationToken: ct)).Items);
    }

    [Fact]
    public async Task Creating_an_existing_name_is_refused_with_AlreadyExists()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(FakeCluster.Pod("p1"), "default", cancellationToken: ct);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.CreateNamespacedPodAsync(FakeCluster.Pod("p1"), "default", cancellationToken: ct));

        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        Assert.Contains("\"reason\":\"AlreadyExists\"", error.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenerateName_gets_a_random_suffix()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var template = new V1Pod
        {
            Metadata = new V1ObjectMeta { GenerateName = "dask-worker-abc-" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "dask-worker", Image = "img" }] },
        };

        var first = await cluster.Client.CoreV1.CreateNamespacedPodAsync(template, "default", cancellationToken: ct);
        var second = await cluster.Client.CoreV1.CreateNamespacedPodAsync(template, "default", cancellationToken: ct);

        Assert.StartsWith("dask-worker-abc-", first.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal("dask-worker-abc-".Length + 5, first.Metadata.Name.Length);
        Assert.NotEqual(first.Metadata.Name, second.Metadata.Name);
    }

    [Fact]
    public async Task Replacing_with_a_stale_resource_version_is_a_conflict()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;
        var created = await core.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" } }, "default", cancellationToken: ct);
        created.StringData = new Dictionary<string, string> { ["k"] = "v1" };
        await core.ReplaceNamespacedSecretAsync(created, "s", "default", cancellationToken: ct);

        created.StringData = new Dictionary<string, string> { ["k"] = "v2" };
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => core.ReplaceNamespacedSecretAsync(created, "s", "default", cancellationToken: ct));

        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        Assert.Contains("\"reason\":\"Conflict\"", error.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lists_filter_by_label_and_field_selectors_and_report_a_resource_version()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;
        await core.CreateNamespacedPodAsync(FakeCluster.Pod("a", new Dictionary<string, string> { ["app"] = "dask", ["role"] = "scheduler" }), "default", cancellationToken: ct);
        await core.CreateNamespacedPodAsync(FakeCluster.Pod("b", new Dictionary<string, string> { ["app"] = "dask", ["role"] = "worker" }), "default", cancellationToken: ct);
        await core.CreateNamespacedPodAsync(FakeCluster.Pod("c", new Dictionary<string, string> { ["app"] = "other" }), "default", cancellationToken: ct);
        await core.CreateNamespacedPodAsync(FakeCluster.Pod("d", new Dictionary<string, string> { ["app"] = "dask" }), "elsewhere", cancellationToken: ct);

        static IEnumerable<string> Names(V1PodList list) => list.Items.Select(pod => pod.Metadata.Name);

        Assert.Equal(["a", "b"], Names(await core.ListNamespacedPodAsync("default", labelSelector: "app=dask", cancellationToken: ct)));
        Assert.Equal(["a"], Names(await core.ListNamespacedPodAsync("default", labelSelector: "app=dask,role=scheduler", cancellationToken: ct)));
        Assert.Equal(["b", "c"], Names(await core.ListNamespacedPodAsync("default", labelSelector: "role!=scheduler", cancellationToken: ct)));
        Assert.Equal(["a", "b"], Names(await core.ListNamespacedPodAsync("default", labelSelector: "role in (scheduler, worker)", cancellationToken: ct)));
        Assert.Equal(["c"], Names(await core.ListNamespacedPodAsync("default", labelSelector: "!role", cancellationToken: ct)));
        Assert.Equal(["b"], Names(await core.ListNamespacedPodAsync("default", fieldSelector: "metadata.name=b", cancellationToken: ct)));
        var all = await core.ListPodForAllNamespacesAsync(labelSelector: "app=dask", cancellationToken: ct);
        Assert.Equal(["a", "b", "d"], Names(all));
        Assert.Equal(cluster.Server.Objects.ResourceVersion, all.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Lists_page_with_limit_and_continue()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        foreach (var name in (string[])["a", "b", "c"])
        {
            await cluster.Client.CoreV1.CreateNamespacedPodAsync(FakeCluster.Pod(name), "default", cancellationToken: ct);
        }

        var first = await cluster.Client.CoreV1.ListNamespacedPodAsync("default", limit: 2, cancellationToken: ct);
        var rest = await cluster.Client.CoreV1.ListNamespacedPodAsync("default", limit: 2, continueParameter: first.Metadata.ContinueProperty, cancellationToken: ct);

        Assert.Equal(["a", "b"], first.Items.Select(pod => pod.Metadata.Name));
        Assert.Equal(["c"], rest.Items.Select(pod => pod.Metadata.Name));
        Assert.Null(rest.Metadata.ContinueProperty);
    }

    [Fact]
    public async Task A_kubeconfig_file_points_the_client_at_the_fake()
    {
        using var timeout = FakeCluster.StartTimeout();
        var ct = timeout.Token;
        await using var server = await FakeKubernetesApiServer.StartAsync(cancellationToken: ct);
        var path = server.WriteKubeconfig();
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));

        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" } }, "default", cancellationToken: ct);

        Assert.NotNull(server.Objects.Get(FakeApiResource.Secrets, "default", "s"));
    }
}
