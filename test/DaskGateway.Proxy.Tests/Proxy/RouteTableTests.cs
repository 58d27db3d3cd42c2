using DaskGateway.Proxy.Routing;

namespace DaskGateway.Proxy;

public sealed class RouteTableTests
{
    [Fact]
    public void PutAndDelete_AreEventsWithConsecutiveIds()
    {
        var table = new RouteTable();
        table.Put(ProxyRoute.Path("/clusters/a", "http://127.0.0.1:1"));
        table.Put(ProxyRoute.Sni("a", "tls://127.0.0.1:2"));
        table.Delete(RouteKind.Path, "/clusters/a");
        table.Delete(RouteKind.Sni, "a");

        using var watcher = table.Watch(0)!;

        Assert.Equal(
            [
                new RouteEvent(1, RouteEventType.Put, ProxyRoute.Path("/clusters/a", "http://127.0.0.1:1")),
                new RouteEvent(2, RouteEventType.Put, ProxyRoute.Sni("a", "tls://127.0.0.1:2")),
                new RouteEvent(3, RouteEventType.Delete, ProxyRoute.Path("/clusters/a")),
                new RouteEvent(4, RouteEventType.Delete, ProxyRoute.Sni("a")),
            ],
            watcher.Backlog);
        Assert.Equal(4, table.LastId);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void DeletingAnAbsentRoute_OrPuttingTheSameAgain_ChangesNothing()
    {
        var table = new RouteTable();
        table.Delete(RouteKind.Sni, "nope");
        table.Put(ProxyRoute.Sni("a", "tls://h:1"));
        table.Put(ProxyRoute.Sni("a", "tls://h:1"));
        Assert.Equal(1, table.LastId);

        table.Put(ProxyRoute.Sni("a", "tls://h:2"));
        Assert.Equal(2, table.LastId);
        Assert.True(table.TryGetSni("a", out var target));
        Assert.Equal("tls://h:2", target);
    }

    [Theory]
    [InlineData("/clusters/a", "/clusters/a", "")]
    [InlineData("/clusters/a/", "/clusters/a", "/")]
    [InlineData("/clusters/a/status", "/clusters/a", "/status")]
    [InlineData("/clusters/a/x/y?z", "/clusters/a", "/x/y?z")]
    [InlineData("/clusters/a/b/c", "/clusters/a/b", "/c")]
    [InlineData("/clusters/ab", "/", "/clusters/ab")]
    [InlineData("/api/v1/clusters/", "/", "/api/v1/clusters/")]
    public void PathMatch_TakesTheLongestWholeSegmentPrefix(string path, string route, string remaining)
    {
        var table = new RouteTable();
        table.Put(ProxyRoute.Path("/", "http://api"));
        table.Put(ProxyRoute.Path("/clusters/a/", "http://a"));
        table.Put(ProxyRoute.Path("/clusters/a/b", "http://ab"));

        Assert.True(table.TryMatchPath(path, out var match, out var rest));
        Assert.Equal(route, RouteTable.NormalizePath(match.Key));
        Assert.Equal(remaining, rest);
    }

    [Fact]
    public void PathMatch_WithoutARootRoute_MissesOtherPaths()
    {
        var table = new RouteTable();
        Assert.False(table.TryMatchPath("/x", out _, out _));
        table.Put(ProxyRoute.Path("/prefix/clusters/a", "http://a"));

        Assert.False(table.TryMatchPath("/prefix/clusters", out _, out _));
        Assert.False(table.TryMatchPath("/prefix/clusters/b/status", out _, out _));
        Assert.True(table.TryMatchPath("/prefix/clusters/a/status", out _, out var rest));
        Assert.Equal("/status", rest);
    }

    [Fact]
    public void Watch_GetsTheBacklogThenNewEventsInOrder()
    {
        var table = new RouteTable();
        table.Put(ProxyRoute.Sni("a", "tls://h:1"));
        table.Put(ProxyRoute.Sni("b", "tls://h:2"));

        using var watcher = table.Watch(1)!;
        table.Delete(RouteKind.Sni, "a");

        Assert.Equal([2L], watcher.Backlog.Select(e => e.Id));
        Assert.True(watcher.Events.TryRead(out var next));
        Assert.Equal(new RouteEvent(3, RouteEventType.Delete, ProxyRoute.Sni("a")), next);
        Assert.False(watcher.Events.TryRead(out _));
    }

    [Fact]
    public void Watch_FromTheLatestId_HasNoBacklog()
    {
        var table = new RouteTable();
        using (var empty = table.Watch(0)!)
        {
            Assert.Empty(empty.Backlog);
        }

        table.Put(ProxyRoute.Sni("a", "tls://h:1"));
        using var watcher = table.Watch(1)!;
        Assert.Empty(watcher.Backlog);
    }

    [Fact]
    public void Events_AreBoundedByDroppingTheOldestHalf_AndOlderWatchesAreGone()
    {
        var table = new RouteTable(maxEvents: 10);
        for (var i = 1; i <= 10; i++)
        {
            table.Put(ProxyRoute.Sni("c" + i, "tls://h:1"));
        }

        // Full: all ten are kept.
        using (var all = table.Watch(0)!)
        {
            Assert.Equal(10, all.Backlog.Count);
        }

        table.Put(ProxyRoute.Sni("c11", "tls://h:1"));

        // Events 1-5 dropped, 6-11 kept: a follower at 5 can catch up, one at 4 cannot.
        Assert.Null(table.Watch(4));
        using var caughtUp = table.Watch(5)!;
        Assert.Equal([6L, 7, 8, 9, 10, 11], caughtUp.Backlog.Select(e => e.Id));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    [InlineData(long.MaxValue)]
    public void Watch_FromANegativeOrFutureId_IsGone(long lastId)
    {
        // A future id is what a follower has after the API server restarted: it must read the table again.
        var table = new RouteTable();
        table.Put(ProxyRoute.Sni("a", "tls://h:1"));
        table.Put(ProxyRoute.Sni("b", "tls://h:1"));

        Assert.Null(table.Watch(lastId));
    }

    [Fact]
    public void SlowWatcher_IsEndedInsteadOfBufferingWithoutBound()
    {
        var table = new RouteTable(maxEvents: 4);
        using var watcher = table.Watch(0)!;
        for (var i = 0; i < 6; i++)
        {
            table.Put(ProxyRoute.Sni("c" + i, "tls://h:1"));
        }

        var received = 0;
        while (watcher.Events.TryRead(out _))
        {
            received++;
        }

        Assert.Equal(4, received);
        Assert.True(watcher.Events.Completion.IsCompleted);
    }

    [Fact]
    public void Replace_ChangesOnlyWhatDiffers()
    {
        var table = new RouteTable();
        table.Put(ProxyRoute.Sni("keep", "tls://h:1"));
        table.Put(ProxyRoute.Sni("drop", "tls://h:2"));
        table.Put(ProxyRoute.Path("/clusters/keep", "http://h:3"));
        using var watcher = table.Watch(table.LastId)!;

        table.Replace([ProxyRoute.Sni("keep", "tls://h:1"), ProxyRoute.Path("/clusters/keep/", "http://h:3"), ProxyRoute.Sni("new", "tls://h:4")]);

        var changes = new List<RouteEvent>();
        while (watcher.Events.TryRead(out var change))
        {
            changes.Add(change);
        }

        Assert.Equal(["Delete drop", "Put new"], changes.Select(c => $"{c.Type} {c.Route.Key}"));
        Assert.True(table.TryGetSni("new", out _));
        Assert.False(table.TryGetSni("drop", out _));
    }

    [Fact]
    public void Snapshot_ListsPathsThenSniRoutes_WithTheLatestId()
    {
        var table = new RouteTable();
        table.Put(ProxyRoute.Sni("b", "tls://h:2"));
        table.Put(ProxyRoute.Path("/", "http://api"));
        table.Put(ProxyRoute.Sni("a", "tls://h:1"));

        var (routes, id) = table.Snapshot();

        Assert.Equal(3, id);
        Assert.Equal(["Path /", "Sni a", "Sni b"], routes.Select(r => $"{r.Kind} {r.Key}"));
    }
}
