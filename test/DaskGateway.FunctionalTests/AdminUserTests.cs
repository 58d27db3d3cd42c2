using System.Net;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

/// <summary>Admins named by <c>Authenticator.AdminUsers</c>: every user's clusters, never their keys, and their actions named in events.</summary>
public sealed class AdminUserTests
{
    private static Task<TestGateway> StartAsync() => TestGateway.StartAsync(("SimpleAuthenticator.AdminUsers", new[] { "root-of-all" }));

    [Fact]
    public async Task AnAdmin_ListsEveryUsersClusters_WithTheirOwner_OnlyWhenAskingForAll()
    {
        await using var gateway = await StartAsync();
        using var alice = gateway.Client("alice");
        using var admin = gateway.Client("root-of-all");
        var cluster = await alice.CreateClusterAsync();

        var own = await admin.GetJsonAsync("api/v1/clusters/");
        var all = await admin.GetJsonAsync("api/v1/clusters/?all=1");
        var alsoAll = await admin.GetJsonAsync("api/v1/clusters/?all=true&status=pending");
        var alicesView = await alice.GetJsonAsync("api/v1/clusters/");

        Assert.Empty(own.AsObject());
        Assert.Equal("alice", all[cluster]!["user"]!.GetValue<string>());
        Assert.Equal([cluster], alsoAll.AsObject().Select(p => p.Key));
        Assert.False(alicesView[cluster]!.AsObject().ContainsKey("user"));
    }

    [Fact]
    public async Task AUserWhoIsNoAdmin_IsRefusedTheListOfAll()
    {
        await using var gateway = await StartAsync();
        using var alice = gateway.Client("alice");

        using var all = await alice.GetAsync("api/v1/clusters/?all=1");
        using var bad = await alice.GetAsync("api/v1/clusters/?all=maybe");
        using var notAll = await alice.GetAsync("api/v1/clusters/?all=0");

        Assert.Contains("not an admin", await GatewayClient.ReadErrorAsync(all, HttpStatusCode.Forbidden), StringComparison.Ordinal);
        Assert.Contains("all", await GatewayClient.ReadErrorAsync(bad, HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, notAll.StatusCode);
    }

    [Fact]
    public async Task AnAdmin_ActsOnAnotherUsersCluster_WithoutItsKey_AndIsNamedInItsEvents()
    {
        await using var gateway = await StartAsync();
        using var alice = gateway.Client("alice");
        using var bob = gateway.Client("bob");
        using var admin = gateway.Client("root-of-all");
        var cluster = await alice.CreateClusterAsync();
        await using var scheduler = await FakeScheduler.StartAsync(gateway.TokenOf(cluster));
        (await SchedulerSide.HeartbeatAsync(gateway.PrivateAddress, cluster, scheduler.Token, SchedulerSide.Heartbeat(scheduler.ApiAddress, 0))).Dispose();
        var running = await alice.WaitForStatusAsync(cluster, "RUNNING");
        Assert.NotNull(running["tls_key"]);

        var seenByAdmin = await admin.GetJsonAsync($"api/v1/clusters/{cluster}");
        var listedForAdmin = await admin.GetJsonAsync("api/v1/clusters/?all=1");
        using var scaled = await admin.PostJsonAsync($"api/v1/clusters/{cluster}/scale", new { count = 2 });
        using var refused = await bob.PostJsonAsync($"api/v1/clusters/{cluster}/scale", new { count = 3 });
        using var stopped = await admin.DeleteAsync($"api/v1/clusters/{cluster}");

        Assert.Equal("RUNNING", seenByAdmin["status"]!.GetValue<string>());
        Assert.Null(seenByAdmin["tls_key"]);
        Assert.Null(seenByAdmin["tls_cert"]);
        Assert.Null(listedForAdmin[cluster]!["tls_key"]);
        Assert.Equal(HttpStatusCode.OK, scaled.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, stopped.StatusCode);
        var events = (await alice.GetJsonAsync($"api/v1/clusters/{cluster}/events")).ToJsonString();
        Assert.Contains("scaled to 2 workers by admin root-of-all", events, StringComparison.Ordinal);
        Assert.Contains("stopped by admin root-of-all", events, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheOwnersOwnActions_AreNotRecordedAsAdminActions()
    {
        await using var gateway = await StartAsync();
        using var alice = gateway.Client("alice");
        var cluster = await alice.CreateClusterAsync();

        (await alice.DeleteAsync($"api/v1/clusters/{cluster}")).Dispose();

        var events = (await alice.GetJsonAsync($"api/v1/clusters/{cluster}/events")).ToJsonString();
        Assert.Contains("stopped by alice", events, StringComparison.Ordinal);
        Assert.DoesNotContain("admin", events, StringComparison.Ordinal);
    }

    [Fact]
    public void AdminGroups_MakeTheirMembersAdmins()
    {
        var authenticator = new Auth.SimpleAuthenticator { AdminGroups = ["ops"] };

        Assert.True(authenticator.WithAdminSettings(new Auth.User("carol", new HashSet<string> { "ops" })).Admin);
        Assert.False(authenticator.WithAdminSettings(new Auth.User("dave", new HashSet<string> { "students" })).Admin);
        Assert.True(authenticator.WithAdminSettings(new Auth.User("erin", null, Admin: true)).Admin);
    }

    [Fact]
    public async Task AShortAdminApiToken_IsAConfigError_ThatDoesNotShowIt()
    {
        var error = await Assert.ThrowsAsync<Configuration.ConfigurationException>(() => TestGateway.StartAsync(("DaskGateway.AdminApiToken", "short-secret")));

        Assert.Contains("DaskGateway.AdminApiToken", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short-secret", error.Message, StringComparison.Ordinal);
    }
}
