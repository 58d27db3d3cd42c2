using DaskGateway.Proxy.Routing;
using DaskGateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using static DaskGateway.Tests.Proxy.ProxyFixtures;

namespace DaskGateway.Tests.Proxy;

/// <summary>A standalone proxy's route follower against real API servers (protocol.md §2.5, proxy side).</summary>
public sealed class RouteFollowerTests
{
    private const string Token = "follower-token";

    [Fact]
    public async Task ApiServerRestart_FollowerReconnects_ReadsTheNewTableOn410_AndFollowsIt()
    {
        var port = Eventually.FreeLoopbackPort();
        (string, object?)[] settings = [("Proxy.ApiToken", Token), ("DaskGateway.Address", $"127.0.0.1:{port}")];
        var table = new RouteTable();
        using var follower = new RouteFollower(table, new RouteFollowerOptions(new Uri($"http://127.0.0.1:{port}/api/v1/routes"), Token), TimeProvider.System, NullLogger<RouteFollower>.Instance);
        string before;
        await using (var first = await StartAsync(settings))
        {
            using var alice = first.Client("alice");
            before = (await RunningClusterAsync(alice)).Name;
            await follower.StartAsync(TestContext.Current.CancellationToken);
            await follower.FirstSync.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Assert.True(table.TryGetSni(before, out _));
            await RunningClusterAsync(alice);
            await Eventually.WaitUntilAsync(() => table.Count == 5, "the follower sees the second cluster's routes");
        }

        try
        {
            // A new API server on the same address starts its event ids again: the follower's last id
            // is in its future, the watch is answered 410, and the follower reads the whole table.
            await using var second = await StartAsync(settings);

            await Eventually.WaitUntilAsync(() => table.Count == 1 && !table.TryGetSni(before, out _), "the follower has the new server's table");
            using var alice = second.Client("alice");
            var after = (await RunningClusterAsync(alice)).Name;
            await Eventually.WaitUntilAsync(() => table.TryGetSni(after, out _), "the follower sees the new cluster");
        }
        finally
        {
            await follower.StopAsync(CancellationToken.None);
        }
    }
}
