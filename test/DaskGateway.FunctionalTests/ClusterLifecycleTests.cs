using System.Net;
using System.Security.Cryptography.X509Certificates;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

public sealed class ClusterLifecycleTests
{
    private static readonly string[] ClusterKeys = ["name", "dashboard_route", "status", "start_time", "stop_time", "options", "tls_cert", "tls_key"];

    private static async Task<FakeScheduler> MakeRunningAsync(TestGateway gateway, string cluster, int count = 0)
    {
        var scheduler = await FakeScheduler.StartAsync(gateway.TokenOf(cluster));
        using var response = await SchedulerSide.HeartbeatAsync(gateway.PrivateAddress, cluster, scheduler.Token, SchedulerSide.Heartbeat(scheduler.ApiAddress, count));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return scheduler;
    }

    [Fact]
    public async Task Create_List_Get_Wait_Scale_Adapt_Stop()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var alice = gateway.Client("alice");

        Assert.Empty((await alice.GetJsonAsync("api/v1/clusters/")).AsObject());
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var name = await alice.CreateClusterAsync();
        Assert.Matches("^[0-9a-f]{32}$", name);

        var pending = await alice.GetJsonAsync($"api/v1/clusters/{name}");
        Assert.Equal(ClusterKeys, pending.AsObject().Select(p => p.Key));
        Assert.Equal("PENDING", pending["status"]!.GetValue<string>());
        Assert.InRange(pending["start_time"]!.GetValue<long>(), before, before + 60_000);
        Assert.Null(pending["stop_time"]);
        Assert.Null(pending["tls_cert"]);
        Assert.Null(pending["dashboard_route"]);
        Assert.Equal("{}", pending["options"]!.ToJsonString());

        var listed = await alice.GetJsonAsync("api/v1/clusters/");
        Assert.Equal([name], listed.AsObject().Select(p => p.Key));
        Assert.Equal(ClusterKeys, listed[name]!.AsObject().Select(p => p.Key));

        // Scaling a cluster that is not running is a 409, as upstream.
        using (var notRunning = await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 2 }))
        {
            Assert.Equal($"cluster {name} is not running", await GatewayClient.ReadErrorAsync(notRunning, HttpStatusCode.Conflict));
        }

        // A waiting client is answered as soon as the scheduler's first heartbeat makes the cluster run.
        var waiting = alice.GetJsonAsync($"api/v1/clusters/{name}?wait");
        await using var scheduler = await MakeRunningAsync(gateway, name);
        var running = await waiting.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        if (running["status"]!.GetValue<string>() != "RUNNING")
        {
            running = await alice.WaitForStatusAsync(name, "RUNNING");
        }

        Assert.Equal($"/clusters/{name}/status", running["dashboard_route"]!.GetValue<string>());
        using (var certificate = X509Certificate2.CreateFromPem(running["tls_cert"]!.GetValue<string>(), running["tls_key"]!.GetValue<string>()))
        {
            Assert.Equal("CN=dask-internal", certificate.Subject);
            Assert.True(certificate.HasPrivateKey);
            Assert.StartsWith("-----BEGIN PRIVATE KEY-----", running["tls_key"]!.GetValue<string>(), StringComparison.Ordinal);
            var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames();
            Assert.Equal([name, "dask-internal", "skein-internal"], names);
        }

        using (var scaled = await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 3 }))
        {
            Assert.Equal("""{"ok":true,"msg":null}""", (await GatewayClient.ReadJsonAsync(scaled, HttpStatusCode.OK)).ToJsonString());
        }

        using (var adapted = await alice.PostJsonAsync($"api/v1/clusters/{name}/adapt", new { minimum = 1, maximum = 5, active = true }))
        {
            Assert.Equal("""{"ok":true,"msg":null}""", (await GatewayClient.ReadJsonAsync(adapted, HttpStatusCode.OK)).ToJsonString());
        }

        Assert.Equal(
            ["""{"op":"scale","count":3}""", """{"op":"adapt","minimum":1,"maximum":5,"active":true}"""],
            scheduler.Messages.Select(m => m.ToJsonString()));

        using (var stopped = await alice.DeleteAsync($"api/v1/clusters/{name}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, stopped.StatusCode);
            Assert.Empty(await stopped.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        }

        Assert.Empty((await alice.GetJsonAsync("api/v1/clusters/")).AsObject());
        var final = await alice.WaitForStatusAsync(name, "STOPPED");
        Assert.NotNull(final["stop_time"]);
        Assert.Null(final["tls_cert"]);
        Assert.Equal([name], (await alice.GetJsonAsync("api/v1/clusters/?status=STOPPED")).AsObject().Select(p => p.Key));

        using var again = await alice.DeleteAsync($"api/v1/clusters/{name}");
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
    }

    [Fact]
    public async Task OtherUsers_Get403_AndNeverSeeTheCluster()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var alice = gateway.Client("alice");
        using var bob = gateway.Client("bob");
        var name = await alice.CreateClusterAsync();

        Assert.Empty((await bob.GetJsonAsync("api/v1/clusters/")).AsObject());
        Assert.Empty((await bob.GetJsonAsync("api/v1/clusters/?status=PENDING,RUNNING,STOPPING,STOPPED,FAILED")).AsObject());
        using (var get = await bob.GetAsync($"api/v1/clusters/{name}"))
        {
            Assert.Equal($"User bob lacks permissions to view cluster {name}", await GatewayClient.ReadErrorAsync(get, HttpStatusCode.Forbidden));
        }

        using (var scale = await bob.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 1 }))
        {
            Assert.Equal($"User bob lacks permissions to view cluster {name}", await GatewayClient.ReadErrorAsync(scale, HttpStatusCode.Forbidden));
        }

        using (var adapt = await bob.PostJsonAsync($"api/v1/clusters/{name}/adapt", new { minimum = 0, maximum = 1, active = true }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, adapt.StatusCode);
        }

        using (var stop = await bob.DeleteAsync($"api/v1/clusters/{name}"))
        {
            Assert.Equal($"User bob lacks permissions to stop cluster {name}", await GatewayClient.ReadErrorAsync(stop, HttpStatusCode.Forbidden));
        }

        Assert.Equal("PENDING", (await alice.GetJsonAsync($"api/v1/clusters/{name}"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnknownCluster_Is404_ButStoppingItIsA204()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var alice = gateway.Client("alice");

        using var get = await alice.GetAsync("api/v1/clusters/0123456789abcdef0123456789abcdef?wait");
        using var scale = await alice.PostJsonAsync("api/v1/clusters/nope/scale", new { count = 1 });
        using var stop = await alice.DeleteAsync("api/v1/clusters/nope");

        Assert.Equal("Cluster 0123456789abcdef0123456789abcdef not found", await GatewayClient.ReadErrorAsync(get, HttpStatusCode.NotFound));
        Assert.Equal("Cluster nope not found", await GatewayClient.ReadErrorAsync(scale, HttpStatusCode.NotFound));
        Assert.Equal(HttpStatusCode.NoContent, stop.StatusCode);
    }

    [Fact]
    public async Task StatusFilter_IsCaseInsensitive_AndRejectsUnknownNames()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var alice = gateway.Client("alice");
        var stopped = await alice.CreateClusterAsync();
        var pending = await alice.CreateClusterAsync();
        using (await alice.DeleteAsync($"api/v1/clusters/{stopped}"))
        {
        }

        await alice.WaitForStatusAsync(stopped, "STOPPED");

        Assert.Equal([pending], (await alice.GetJsonAsync("api/v1/clusters/?status=running,PENDING")).AsObject().Select(p => p.Key));
        Assert.Equal([stopped, pending], (await alice.GetJsonAsync("api/v1/clusters/?status=STOPPED,Pending")).AsObject().Select(p => p.Key));
        using var invalid = await alice.GetAsync("api/v1/clusters/?status=running,foo");
        Assert.Equal("'foo' is not a valid ClusterStatus", await GatewayClient.ReadErrorAsync(invalid, HttpStatusCode.UnprocessableEntity));
    }

    [Fact]
    public async Task Wait_ReturnsImmediatelyForStoppedClusters()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        using (await alice.DeleteAsync($"api/v1/clusters/{name}"))
        {
        }

        var body = await alice.GetJsonAsync($"api/v1/clusters/{name}?wait").WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        // A cluster no longer active is answered at once, whether its stop has completed yet or not.
        Assert.Contains(body["status"]!.GetValue<string>(), (string[])["STOPPING", "STOPPED"]);
    }

    [Fact]
    public async Task Limits_ClampScaleAndAdapt_WithUpstreamsMessages()
    {
        await using var gateway = await TestGateway.StartAsync(("ClusterConfig.ClusterMaxWorkers", 2));
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        await using var scheduler = await MakeRunningAsync(gateway, name);
        await alice.WaitForStatusAsync(name, "RUNNING");

        using (var scale = await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 5 }))
        {
            var body = await GatewayClient.ReadJsonAsync(scale, HttpStatusCode.OK);
            Assert.False(body["ok"]!.GetValue<bool>());
            Assert.Equal("Scale request of 5 workers would exceed resource limit of 2 workers. Scaling to 2 instead.", body["msg"]!.GetValue<string>());
        }

        using (var adapt = await alice.PostJsonAsync($"api/v1/clusters/{name}/adapt", new Dictionary<string, object?> { ["minimum"] = null, ["maximum"] = 10, ["active"] = true }))
        {
            var body = await GatewayClient.ReadJsonAsync(adapt, HttpStatusCode.OK);
            Assert.Equal("Adapt with `maximum=10, minimum=0` workers would exceed resource limit of 2 workers. Using `maximum=2, minimum=0` instead.", body["msg"]!.GetValue<string>());
        }

        using (var adapt = await alice.PostJsonAsync($"api/v1/clusters/{name}/adapt", new { minimum = 4, maximum = 6, active = true }))
        {
            var body = await GatewayClient.ReadJsonAsync(adapt, HttpStatusCode.OK);
            Assert.Equal("Adapt with `maximum=6, minimum=4` workers would exceed resource limit of 2 workers. Using `maximum=2, minimum=2` instead.", body["msg"]!.GetValue<string>());
        }

        using (var adapt = await alice.PostJsonAsync($"api/v1/clusters/{name}/adapt", new Dictionary<string, object?> { ["minimum"] = null, ["maximum"] = null, ["active"] = false }))
        {
            Assert.Equal("""{"ok":true,"msg":null}""", (await GatewayClient.ReadJsonAsync(adapt, HttpStatusCode.OK)).ToJsonString());
        }

        Assert.Equal(
            [
                """{"op":"scale","count":2}""",
                """{"op":"adapt","minimum":0,"maximum":2,"active":true}""",
                """{"op":"adapt","minimum":2,"maximum":2,"active":true}""",
                """{"op":"adapt","minimum":0,"maximum":2,"active":false}""",
            ],
            scheduler.Messages.Select(m => m.ToJsonString()));
    }

    [Fact]
    public async Task SchedulerThatRefusesScaling_FailsTheClusterAfterThreeAttempts()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        await using var scheduler = await MakeRunningAsync(gateway, name);
        await alice.WaitForStatusAsync(name, "RUNNING");
        scheduler.CommStatus = HttpStatusCode.InternalServerError;

        using var scale = await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 1 });

        Assert.Equal($"cluster {name} is not running", await GatewayClient.ReadErrorAsync(scale, HttpStatusCode.Conflict));
        Assert.Equal(3, scheduler.Attempts);
        await alice.WaitForStatusAsync(name, "FAILED");
        var events = await alice.GetJsonAsync($"api/v1/clusters/{name}/events");
        Assert.Contains(events["events"]!.AsArray(), e => e!["message"]!.GetValue<string>().Contains("did not accept a scale or adapt request after 3 attempts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Heartbeat_RequiresTheClustersToken()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        var heartbeat = SchedulerSide.Heartbeat(new Uri("http://127.0.0.1:1"));

        using var missing = await SchedulerSide.HeartbeatAsync(gateway.PrivateAddress, name, null, heartbeat);
        using var wrong = await SchedulerSide.HeartbeatAsync(gateway.PrivateAddress, name, "0123456789abcdef0123456789abcdef", heartbeat);
        using var unknown = await SchedulerSide.HeartbeatAsync(gateway.PrivateAddress, "unknown", "whatever", heartbeat);

        Assert.Equal("Unauthorized", await GatewayClient.ReadErrorAsync(missing, HttpStatusCode.Unauthorized));
        Assert.Equal("token", missing.Headers.WwwAuthenticate.Single().ToString());
        Assert.Equal("Unauthorized", await GatewayClient.ReadErrorAsync(wrong, HttpStatusCode.Unauthorized));
        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        Assert.Equal("PENDING", (await alice.GetJsonAsync($"api/v1/clusters/{name}"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task SchedulerToken_StopsTheCluster()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();

        using var stop = await SchedulerSide.StopAsync(gateway.PrivateAddress, name, gateway.TokenOf(name));

        Assert.Equal(HttpStatusCode.NoContent, stop.StatusCode);
        await alice.WaitForStatusAsync(name, "STOPPED");
    }

    [Fact]
    public async Task HeartbeatCount_IsClampedToTheWorkerLimit()
    {
        await using var gateway = await TestGateway.StartAsync(("ClusterConfig.ClusterMaxWorkers", 3));
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        await using var scheduler = await MakeRunningAsync(gateway, name, count: 10);

        Assert.True(gateway.ActiveClusters().Single().Count == 3);
    }
}
