using System.Text.Json.Nodes;
using DaskGateway.Kubernetes.Fake;
using k8s;
using k8s.Models;

namespace DaskGateway.FakeApiServer;

public sealed class GarbageCollectionTests
{
    [Fact]
    public async Task Deleting_an_owner_deletes_its_dependents_transitively_and_watches_see_them_go()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;
        var owner = await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync<JsonObject>(
            DaskClusterStatusSubresourceTests.DaskCluster("abc"), "gateway.dask.org", "v1alpha1", "default", "daskclusters", cancellationToken: ct);
        var clusterOwner = new V1OwnerReference { ApiVersion = "gateway.dask.org/v1alpha1", Kind = "DaskCluster", Name = "abc", Uid = owner["metadata"]!["uid"]!.GetValue<string>() };
        var scheduler = await core.CreateNamespacedPodAsync(Owned(FakeCluster.Pod("dask-scheduler-abc"), clusterOwner), "default", cancellationToken: ct);
        await core.CreateNamespacedSecretAsync(Owned(new V1Secret { Metadata = new V1ObjectMeta { Name = "dask-credentials-abc" } }, clusterOwner), "default", cancellationToken: ct);
        await core.CreateNamespacedServiceAsync(Owned(new V1Service { Metadata = new V1ObjectMeta { Name = "dask-abc" }, Spec = new V1ServiceSpec() }, PodOwner(scheduler)), "default", cancellationToken: ct);
        await core.CreateNamespacedPodAsync(Owned(FakeCluster.Pod("dask-worker-abc-1"), PodOwner(scheduler)), "default", cancellationToken: ct);
        await core.CreateNamespacedPodAsync(FakeCluster.Pod("bystander"), "default", cancellationToken: ct);
        var list = await core.ListNamespacedPodAsync("default", cancellationToken: ct);
        var watch = WatchRecorder<V1Pod>.Start(
            onError => core.WatchListNamespacedPodAsync("default", resourceVersion: list.Metadata.ResourceVersion, onError: onError, cancellationToken: ct), ct);

        await cluster.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("gateway.dask.org", "v1alpha1", "default", "daskclusters", "abc", cancellationToken: ct);

        var deleted = new[] { await watch.NextChangeAsync(ct), await watch.NextChangeAsync(ct) };
        Assert.All(deleted, item => Assert.Equal(WatchEventType.Deleted, item!.Type));
        Assert.Equal(["dask-scheduler-abc", "dask-worker-abc-1"], deleted.Select(item => item!.Object!.Metadata.Name).Order());
        Assert.Equal(["bystander"], (await core.ListNamespacedPodAsync("default", cancellationToken: ct)).Items.Select(pod => pod.Metadata.Name));
        Assert.Empty((await core.ListNamespacedSecretAsync("default", cancellationToken: ct)).Items);
        Assert.Empty((await core.ListNamespacedServiceAsync("default", cancellationToken: ct)).Items);
    }

    [Fact]
    public async Task Orphan_propagation_keeps_dependents_and_drops_their_owner_reference()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;
        var scheduler = await core.CreateNamespacedPodAsync(FakeCluster.Pod("scheduler"), "default", cancellationToken: ct);
        await core.CreateNamespacedPodAsync(Owned(FakeCluster.Pod("worker"), PodOwner(scheduler)), "default", cancellationToken: ct);

        await core.DeleteNamespacedPodAsync("scheduler", "default", propagationPolicy: "Orphan", cancellationToken: ct);

        var worker = await core.ReadNamespacedPodAsync("worker", "default", cancellationToken: ct);
        Assert.Null(worker.Metadata.OwnerReferences);
        Assert.Null(cluster.Server.Objects.Get(FakeApiResource.Pods, "default", "scheduler"));
    }

    private static V1OwnerReference PodOwner(V1Pod pod) => new() { ApiVersion = "v1", Kind = "Pod", Name = pod.Metadata.Name, Uid = pod.Metadata.Uid };

    private static T Owned<T>(T obj, V1OwnerReference owner)
        where T : IMetadata<V1ObjectMeta>
    {
        obj.Metadata.OwnerReferences = [owner];
        return obj;
    }
}
