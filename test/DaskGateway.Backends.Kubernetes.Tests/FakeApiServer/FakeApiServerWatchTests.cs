using System.Net;
using DaskGateway.Kubernetes.Fake;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DaskGateway.FakeApiServer;

public sealed class FakeApiServerWatchTests
{
    [Fact]
    public async Task A_watch_reports_added_modified_and_deleted_in_order()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;
        var list = await core.ListNamespacedPodAsync("default", cancellationToken: ct);
        var watch = WatchRecorder<V1Pod>.Start(
            onError => core.WatchListNamespacedPodAsync("default", resourceVersion: list.Metadata.ResourceVersion, onError: onError, cancellationToken: ct), ct);

        await core.CreateNamespacedPodAsync(FakeCluster.Pod("p1"), "default", cancellationToken: ct);
        await core.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"a":"b"}}}""", V1Patch.PatchType.MergePatch), "p1", "default", cancellationToken: ct);
        await core.DeleteNamespacedPodAsync("p1", "default", cancellationToken: ct);

        var added = await watch.NextChangeAsync(ct);
        var modified = await watch.NextChangeAsync(ct);
        var deleted = await watch.NextChangeAsync(ct);
        Assert.Equal((WatchEventType.Added, "p1"), (added!.Type, added.Object!.Metadata.Name));
        Assert.Equal((WatchEventType.Modified, "b"), (modified!.Type, modified.Object!.Metadata.Labels["a"]));
        Assert.Equal(WatchEventType.Deleted, deleted!.Type);
        var versions = new[] { added, modified, deleted }.Select(item => long.Parse(item.Object!.Metadata.ResourceVersion)).ToList();
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(3, versions.Distinct().Count());
    }

    [Fact]
    public async Task A_watch_without_a_resource_version_starts_with_the_existing_objects()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(FakeCluster.Pod("old"), "default", cancellationToken: ct);

        var watch = WatchRecorder<V1Pod>.Start(onError => cluster.Client.CoreV1.WatchListNamespacedPodAsync("default", onError: onError, cancellationToken: ct), ct);

        var first = await watch.NextChangeAsync(ct);
        Assert.Equal((WatchEventType.Added, "old"), (first!.Type, first.Object!.Metadata.Name));
    }

    [Fact]
    public async Task A_watch_resumes_after_a_resource_version_without_losing_or_repeating_events()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;
        var first = await core.CreateNamespacedPodAsync(FakeCluster.Pod("a"), "default", cancellationToken: ct);
        await core.CreateNamespacedPodAsync(FakeCluster.Pod("b"), "default", cancellationToken: ct);
        await core.DeleteNamespacedPodAsync("a", "default", cancellationToken: ct);

        var watch = WatchRecorder<V1Pod>.Start(
            onError => core.WatchListNamespacedPodAsync("default", resourceVersion: first.Metadata.ResourceVersion, onError: onError, cancellationToken: ct), ct);

        var added = await watch.NextChangeAsync(ct);
        var deleted = await watch.NextChangeAsync(ct);
        Assert.Equal((WatchEventType.Added, "b"), (added!.Type, added.Object!.Metadata.Name));
        Assert.Equal((WatchEventType.Deleted, "a"), (deleted!.Type, deleted.Object!.Metadata.Name));
    }

    [Fact]
    public async Task A_watch_with_a_label_selector_sees_objects_leave_and_enter_it()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;
        var list = await core.ListNamespacedPodAsync("default", cancellationToken: ct);
        var watch = WatchRecorder<V1Pod>.Start(
            onError => core.WatchListNamespacedPodAsync("default", labelSelector: "app=dask", resourceVersion: list.Metadata.ResourceVersion, onError: onError, cancellationToken: ct), ct);

        await core.CreateNamespacedPodAsync(FakeCluster.Pod("other", new Dictionary<string, string> { ["app"] = "other" }), "default", cancellationToken: ct);
        await core.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"app":"dask"}}}""", V1Patch.PatchType.MergePatch), "other", "default", cancellationToken: ct);
        await core.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"app":"gone"}}}""", V1Patch.PatchType.MergePatch), "other", "default", cancellationToken: ct);

        Assert.Equal(WatchEventType.Added, (await watch.NextChangeAsync(ct))!.Type);
        Assert.Equal(WatchEventType.Deleted, (await watch.NextChangeAsync(ct))!.Type);
    }

    [Fact]
    public async Task A_watch_from_a_version_older_than_the_history_gets_a_410_error_event()
    {
        await using var cluster = await FakeCluster.StartAsync(new FakeKubernetesApiServerOptions { WatchHistorySize = 2 });
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;
        var first = await core.CreateNamespacedPodAsync(FakeCluster.Pod("a"), "default", cancellationToken: ct);
        foreach (var name in (string[])["b", "c", "d"])
        {
            await core.CreateNamespacedPodAsync(FakeCluster.Pod(name), "default", cancellationToken: ct);
        }

        var watch = WatchRecorder<V1Pod>.Start(
            onError => core.WatchListNamespacedPodAsync("default", resourceVersion: first.Metadata.ResourceVersion, onError: onError, cancellationToken: ct), ct);

        var error = await watch.NextAsync(ct);
        var status = Assert.IsType<KubernetesException>(error!.Error).Status;
        Assert.Equal((410, "Expired"), (status.Code, status.Reason));
        Assert.Null(await watch.NextAsync(ct));
    }

    [Fact]
    public async Task A_stale_watch_can_instead_be_refused_with_http_410()
    {
        await using var cluster = await FakeCluster.StartAsync(new FakeKubernetesApiServerOptions { WatchHistorySize = 1, RefuseStaleWatchesWithHttpGone = true });
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;
        var first = await core.CreateNamespacedPodAsync(FakeCluster.Pod("a"), "default", cancellationToken: ct);
        await core.CreateNamespacedPodAsync(FakeCluster.Pod("b"), "default", cancellationToken: ct);
        await core.CreateNamespacedPodAsync(FakeCluster.Pod("c"), "default", cancellationToken: ct);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() =>
            core.ListNamespacedPodWithHttpMessagesAsync("default", watch: true, resourceVersion: first.Metadata.ResourceVersion, cancellationToken: ct));

        Assert.Equal(HttpStatusCode.Gone, error.Response.StatusCode);
    }

    [Fact]
    public async Task ExpireWatches_ends_open_watches_with_410_and_only_a_fresh_list_lets_clients_watch_again()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;
        await core.CreateNamespacedPodAsync(FakeCluster.Pod("a"), "default", cancellationToken: ct);
        var list = await core.ListNamespacedPodAsync("default", cancellationToken: ct);
        var watch = WatchRecorder<V1Pod>.Start(
            onError => core.WatchListNamespacedPodAsync("default", resourceVersion: list.Metadata.ResourceVersion, onError: onError, cancellationToken: ct), ct);
        await WaitForWatchesAsync(cluster.Server, 1, ct);

        cluster.Server.ExpireWatches();

        var expired = await watch.NextAsync(ct);
        Assert.Equal(410, Assert.IsType<KubernetesException>(expired!.Error).Status.Code);
        Assert.Null(await watch.NextAsync(ct));
        var resumed = WatchRecorder<V1Pod>.Start(
            onError => core.WatchListNamespacedPodAsync("default", resourceVersion: list.Metadata.ResourceVersion, onError: onError, cancellationToken: ct), ct);
        Assert.Equal(410, Assert.IsType<KubernetesException>((await resumed.NextAsync(ct))!.Error).Status.Code);

        var relist = await core.ListNamespacedPodAsync("default", cancellationToken: ct);
        var fresh = WatchRecorder<V1Pod>.Start(
            onError => core.WatchListNamespacedPodAsync("default", resourceVersion: relist.Metadata.ResourceVersion, onError: onError, cancellationToken: ct), ct);
        await core.CreateNamespacedPodAsync(FakeCluster.Pod("b"), "default", cancellationToken: ct);
        var added = await fresh.NextChangeAsync(ct);
        Assert.Equal((WatchEventType.Added, "b"), (added!.Type, added.Object!.Metadata.Name));
    }

    // The client returns from a watch call only once the first line arrives and reports a stream that ends
    // before any line as an error, as it would with a real server; so these watches start with an ADDED event.
    [Fact]
    public async Task CloseWatches_ends_streams_cleanly_or_cuts_them()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;
        await core.CreateNamespacedPodAsync(FakeCluster.Pod("a"), "default", cancellationToken: ct);
        var clean = WatchRecorder<V1Pod>.Start(onError => core.WatchListNamespacedPodAsync("default", onError: onError, cancellationToken: ct), ct);
        Assert.Equal(WatchEventType.Added, (await clean.NextAsync(ct))!.Type);

        cluster.Server.CloseWatches();
        Assert.Null(await clean.NextAsync(ct));

        var cut = WatchRecorder<V1Pod>.Start(onError => core.WatchListNamespacedPodAsync("default", onError: onError, cancellationToken: ct), ct);
        Assert.Equal(WatchEventType.Added, (await cut.NextAsync(ct))!.Type);
        cluster.Server.CloseWatches(abortConnections: true);
        var broken = await cut.NextAsync(ct);
        Assert.NotNull(broken?.Error);
        Assert.Null(await cut.NextAsync(ct));
    }

    [Fact]
    public async Task Watches_that_allow_bookmarks_get_them_with_the_current_resource_version()
    {
        await using var cluster = await FakeCluster.StartAsync(new FakeKubernetesApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(50) });
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;
        var created = await core.CreateNamespacedPodAsync(FakeCluster.Pod("a"), "default", cancellationToken: ct);

        var watch = WatchRecorder<V1Pod>.Start(
            onError => core.WatchListNamespacedPodAsync("default", allowWatchBookmarks: true, resourceVersion: created.Metadata.ResourceVersion, onError: onError, cancellationToken: ct), ct);

        var bookmark = await watch.NextAsync(ct);
        Assert.Equal(WatchEventType.Bookmark, bookmark!.Type);
        Assert.Equal(created.Metadata.ResourceVersion, bookmark.Object!.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task A_watch_ends_after_its_timeout()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(FakeCluster.Pod("a"), "default", cancellationToken: ct);

        var watch = WatchRecorder<V1Pod>.Start(onError => cluster.Client.CoreV1.WatchListNamespacedPodAsync("default", timeoutSeconds: 1, onError: onError, cancellationToken: ct), ct);

        Assert.Equal(WatchEventType.Added, (await watch.NextAsync(ct))!.Type);
        Assert.Null(await watch.NextAsync(ct));
    }

    internal static async Task WaitForWatchesAsync(FakeKubernetesApiServer server, int count, CancellationToken cancellationToken)
    {
        while (server.OpenWatchCount < count)
        {
            await Task.Delay(10, cancellationToken);
        }
    }
}
