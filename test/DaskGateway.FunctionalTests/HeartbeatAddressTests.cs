using System.Net;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

/// <summary>
/// A scheduler runs its user's code, so the addresses it reports are checked before the gateway
/// routes users to them or sends the cluster's token there (protocol.md §3.5). No test here sends
/// traffic to the addresses it makes a scheduler report.
/// </summary>
public sealed class HeartbeatAddressTests
{
    private const string Scheduler = "tls://127.0.0.1:34567";
    private const string Api = "http://127.0.0.1:34568";

    public static TheoryData<string, string, string, string> Misdirected => new()
    {
        // The reported field, then the three addresses.
        { "dashboard_address", Scheduler, "http://169.254.169.254/", Api },
        { "dashboard_address", Scheduler, "http://169.254.169.254:80", Api },
        { "api_address", Scheduler, "", "http://169.254.169.254:80" },
        { "scheduler_address", "tls://10.1.2.3:8786", "", Api },
        { "api_address", Scheduler, "", "http://10.1.2.3:8788" },
        { "api_address", Scheduler, "", "http://user:secret@127.0.0.1:34568" },
        { "api_address", Scheduler, "", "http://127.0.0.1:34568/latest/meta-data" },
        { "api_address", Scheduler, "", "http://127.0.0.1:34568?to=elsewhere" },
        { "api_address", Scheduler, "", "https://127.0.0.1:34568" },
        { "scheduler_address", "tcp://127.0.0.1:34567", "", Api },
        { "scheduler_address", "tls://127.0.0.1:0", "", Api },
        { "scheduler_address", "tls://127.0.0.1:65536", "", Api },
        { "scheduler_address", "tls://127.0.0.1", "", Api },
        { "scheduler_address", "tls://0x7f.1:34567", "", Api },
        { "scheduler_address", "", "", Api },
    };

    [Theory]
    [MemberData(nameof(Misdirected))]
    public async Task SchedulerReportingAddressesElsewhere_Is422_NeverRoutedOrPostedTo_AndLeavesAnEvent(string field, string scheduler, string dashboard, string api)
    {
        await using var gateway = await TestGateway.StartAsync(("DaskGateway.BackendClass", "InProcessBackend"), ("InProcessBackend.SilentSchedulers", true));
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        var heartbeat = SchedulerSide.Heartbeat(new Uri(Api));
        heartbeat["scheduler_address"] = scheduler;
        heartbeat["dashboard_address"] = dashboard;
        heartbeat["api_address"] = api;

        // The same report twice: refused both times, recorded once.
        foreach (var _ in new[] { 1, 2 })
        {
            using var refused = await SchedulerSide.HeartbeatAsync(gateway.PrivateAddress, name, gateway.TokenOf(name), heartbeat);
            Assert.StartsWith($"Heartbeat '{field}' ", await GatewayClient.ReadErrorAsync(refused, HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);
        }

        Assert.Equal("PENDING", (string?)(await alice.GetJsonAsync($"api/v1/clusters/{name}"))["status"]);
        Assert.DoesNotContain(gateway.Routes.Snapshot().Routes, route => route.Key.Contains(name, StringComparison.Ordinal));
        Assert.True(gateway.Registry.TryGet(name, out var cluster));
        Assert.Equal(("", "", ""), (cluster.SchedulerAddress, cluster.DashboardAddress, cluster.ApiAddress));
        var events = (await alice.GetJsonAsync($"api/v1/clusters/{name}/events"))["events"]!.AsArray();
        var recorded = Assert.Single(events, e => (string?)e!["kind"] == "addresses-refused");
        Assert.StartsWith($"Heartbeat '{field}' ", (string?)recorded!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task HonestLoopbackHeartbeat_IsAccepted_RoutedAndScaled()
    {
        await using var gateway = await TestGateway.StartAsync(("DaskGateway.BackendClass", "InProcessBackend"), ("InProcessBackend.SilentSchedulers", true));
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        var backend = gateway.Backend<InProcessBackend>();
        await Eventually.WaitUntilAsync(() => backend.HasScheduler(name), "the fake scheduler listens");
        var scheduler = backend.Scheduler(name);

        using (var accepted = await SchedulerSide.HeartbeatAsync(gateway.PrivateAddress, name, gateway.TokenOf(name), SchedulerSide.Heartbeat(scheduler.ApiAddress)))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        var running = await alice.WaitForStatusAsync(name, "RUNNING");
        Assert.Equal($"/clusters/{name}/status", (string?)running["dashboard_route"]);
        Assert.True(gateway.Routes.TryGetSni(name, out var target));
        Assert.Contains("127.0.0.1:34567", target, StringComparison.Ordinal);
        using var scaled = await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 1 });
        Assert.Equal(HttpStatusCode.OK, scaled.StatusCode);
    }
}
