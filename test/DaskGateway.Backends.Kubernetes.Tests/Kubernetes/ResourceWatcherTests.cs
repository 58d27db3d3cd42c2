using DaskGateway.Backends.Kubernetes;
using DaskGateway.Tests.Infrastructure;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaskGateway.Kubernetes;

public sealed class ResourceWatcherTests
{
    [Fact]
    public async Task Lists_then_follows_changes_in_order()
    {
        await using var api = new ScriptedPodApi();
        await api.StartAsync();
        api.Put("a");
        await using var watcher = Watch(api, out var changes);

        await watcher.WaitForSyncAsync(TestContext.Current.CancellationToken);
        api.Put("b");
        api.Put("a");
        api.Delete("a");

        await Eventually.WaitUntilAsync(() => Snapshot(changes).Count == 4, "four changes were heard");
        Assert.Equal(["Added a", "Added b", "Modified a", "Deleted a"], Snapshot(changes));
        Assert.Equal(["b"], watcher.List().Select(pod => pod.Metadata.Name));
        Assert.Null(watcher.Get("ns", "a"));
        Assert.NotNull(watcher.Get("ns", "b"));
    }

    [Fact]
    public async Task An_expired_watch_lists_again_and_reports_what_changed_meanwhile()
    {
        await using var api = new ScriptedPodApi();
        await api.StartAsync();
        api.Put("a");
        api.Put("b");
        await using var watcher = Watch(api, out var changes);
        await watcher.WaitForSyncAsync(TestContext.Current.CancellationToken);

        // Changes the watcher cannot replay: the next watch gets 410 Gone and must list again.
        api.Compact();
        api.Delete("a");
        api.Put("c");
        api.Compact();

        await Eventually.WaitUntilAsync(() => watcher.Get("ns", "c") is not null && watcher.Get("ns", "a") is null, "the watcher listed again");
        Assert.True(watcher.ListCount >= 2);
        Assert.Contains("Deleted a", Snapshot(changes));
        Assert.Contains("Added c", Snapshot(changes));
        Assert.DoesNotContain("Deleted b", Snapshot(changes));

        // And it watches again from the new list.
        api.Put("d");
        await Eventually.WaitUntilAsync(() => watcher.Get("ns", "d") is not null, "a change after the relist was heard");
    }

    [Fact]
    public async Task Failing_requests_are_retried()
    {
        await using var api = new ScriptedPodApi { FailuresToInject = 3 };
        await api.StartAsync();
        api.Put("a");
        await using var watcher = Watch(api, out _);

        await watcher.WaitForSyncAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.NotNull(watcher.Get("ns", "a"));
        Assert.Equal(1, api.ListRequests);
    }

    [Fact]
    public async Task A_failing_subscriber_does_not_stop_the_others()
    {
        await using var api = new ScriptedPodApi();
        await api.StartAsync();
        await using var watcher = Watch(api, out var changes, subscribeFailingFirst: true);
        await watcher.WaitForSyncAsync(TestContext.Current.CancellationToken);

        api.Put("a");

        await Eventually.WaitUntilAsync(() => Snapshot(changes).Count == 1, "the second subscriber heard the change");
    }

    private static ResourceWatcher<V1Pod> Watch(ScriptedPodApi api, out List<string> changes, bool subscribeFailingFirst = false)
    {
        var client = KubeClientFactory.Create(new KubernetesClientConfiguration { Host = api.Address.ToString() }, 1000, 1000);
        var watcher = new ResourceWatcher<V1Pod>(
            ResourceWatchSources.Pods(client, "ns", null), NullLogger.Instance, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(100));
        var heard = new List<string>();
        if (subscribeFailingFirst)
        {
            watcher.Subscribe(_ => throw new InvalidOperationException("subscriber bug"));
        }

        watcher.Subscribe(change =>
        {
            lock (heard)
            {
                heard.Add($"{change.Kind} {change.Object.Metadata.Name}");
            }
        });
        watcher.Start();
        changes = heard;
        return watcher;
    }

    private static List<string> Snapshot(List<string> changes)
    {
        lock (changes)
        {
            return [.. changes];
        }
    }
}
